"""Time a cold `make book` from a fresh clone, then a rebuild with nothing changed.

Usage: python benchmarks/bench_build.py [--keep]

The clone goes to a temporary folder (removed afterwards unless --keep), so
the measurement starts as CI and new readers do: no virtual environment, no
execution cache, no _build. The rebuild must execute no chapter; the script
counts MyST-NB's "Executing notebook" lines to check it, and exits non-zero
if the rebuild executed anything.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = re.compile(r"Executing notebook")
VERIFICATION = re.compile(
    r"\[verification\] (\d+) claims, (\d+) checks, (\d+) unchecked; ([\d.]+) s in the verification extension"
)


def timed_make(clone: Path, target: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(["make", target], cwd=clone, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-5000:] + result.stderr[-5000:])
        raise SystemExit(f"make {target} failed in {clone}")
    return elapsed, result.stdout + result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mlmath-bench-"))
    clone = workdir / "book"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    try:
        cold, cold_log = timed_make(clone, "book")
        venv = clone / ".venv" / ".installed"
        rebuild, rebuild_log = timed_make(clone, "book")
        cold_executed = len(EXECUTED.findall(cold_log))
        rebuild_executed = len(EXECUTED.findall(rebuild_log))
        print(f"cold `make book` (fresh clone, new venv): {cold:7.1f} s, {cold_executed} notebooks executed")
        print(f"no-change rebuild:                        {rebuild:7.1f} s, {rebuild_executed} notebooks executed")
        print(f"venv set up: {venv.exists()}")
        found = VERIFICATION.search(cold_log)
        if found:
            claims, checks, unchecked, seconds = found.groups()
            print(
                f"verification ledger: {claims} claims, {checks} checks, {unchecked} unchecked; "
                f"the extension took {float(seconds):.2f} s = {100 * float(seconds) / cold:.2f}% of the cold build"
            )
        if rebuild_executed:
            print("FAIL: the no-change rebuild executed chapters")
            return 1
        return 0
    finally:
        if args.keep:
            print(f"clone kept at {clone}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
