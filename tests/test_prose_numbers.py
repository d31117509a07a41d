"""Every number in the chapters' prose is glued from a computation, exact by construction, or allow-listed with a reason."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("prose_numbers", ROOT / "scripts" / "prose_numbers.py")
prose_numbers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prose_numbers)


def test_no_unglued_numbers_in_the_prose():
    found = prose_numbers.unglued(prose_numbers.chapters())
    assert not found, "numbers in the prose that are neither glued nor allow-listed:\n" + "\n".join(found)


def test_the_scan_finds_a_typed_measurement(tmp_path):
    chapter = tmp_path / "c.md"
    chapter.write_text(
        "---\nkernelspec: {}\n---\n# T\n\nThe error is 0.83 and took 12 steps; see Figure 12.\n\n"
        "```{code-cell} ipython3\nx = 0.5\n```\n\n$\\eta = 0.1$ and {glue:text}`err` and `1.5`.\n"
    )
    found = [token for _, token in prose_numbers.numbers_in(chapter)]
    assert found == ["0.83", "12"]


def test_every_allow_list_entry_has_a_reason_and_is_still_needed():
    entries = prose_numbers.allowed()
    present = {(str(p.relative_to(ROOT)), token) for p in prose_numbers.chapters() for _, token in prose_numbers.numbers_in(p)}
    stale = sorted(entries - present)
    assert not stale, f"allow-list entries whose number is no longer in the prose: {stale}"


def test_an_entry_without_a_reason_is_refused(tmp_path, monkeypatch):
    allow = tmp_path / "allow.txt"
    allow.write_text("chapters/x.md 0.5\n")
    monkeypatch.setattr(prose_numbers, "ALLOW", allow)
    with pytest.raises(ValueError, match="reason"):
        prose_numbers.allowed()
