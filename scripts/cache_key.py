"""Empty the execution cache when the library or the pinned requirements change.

jupyter-cache keys a chapter on its own source only, so a change to
``src/mlmath`` (which every chapter imports) or to ``requirements.txt`` would
otherwise leave stale outputs in the book. This script hashes those inputs
and, when the hash differs from the one stored with the cache, removes the
cache and Sphinx's saved doctrees so that every chapter is re-read and
re-executed. With nothing changed it does nothing, and the rebuild executes
no chapter.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
KEY_FILE = BUILD / ".mlmath-cache-key"
STALE = [BUILD / ".jupyter_cache", BUILD / ".doctrees"]


def inputs() -> list[Path]:
    """Files whose change must invalidate every executed chapter."""
    files = sorted(p for p in (ROOT / "src").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files + [ROOT / "requirements.txt", ROOT / "pyproject.toml"]


def current_key() -> str:
    digest = hashlib.sha256()
    for path in inputs():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def main() -> int:
    key = current_key()
    old = KEY_FILE.read_text().strip() if KEY_FILE.exists() else None
    if old == key:
        print("execution cache: src/ and requirements unchanged, cache kept")
        return 0
    removed = [str(p.relative_to(ROOT)) for p in STALE if p.exists()]
    for path in STALE:
        shutil.rmtree(path, ignore_errors=True)
    BUILD.mkdir(exist_ok=True)
    KEY_FILE.write_text(key + "\n")
    reason = "first build" if old is None else "src/ or requirements changed"
    print(f"execution cache: {reason}; cleared {', '.join(removed) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
