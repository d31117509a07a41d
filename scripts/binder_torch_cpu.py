"""Point Binder's requirements at PyTorch's CPU wheels (``make lock`` runs this after pip-compile).

PyPI's torch wheel for Linux is a CUDA build of several GB; Binder has no GPU. The
CPU build carries the local version ``+cpu`` and lives on PyTorch's own index.
"""

import re
import sys
from pathlib import Path

INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
HEADER = "# Binder: PyTorch's CPU build comes from its own index (PyPI's torch is a multi-GB CUDA build).\n" + INDEX + "\n"


def main(path: str) -> int:
    file = Path(path)
    text = file.read_text()
    if INDEX not in text:
        text = HEADER + text
    text = re.sub(r"^torch==([\d.]+)(\+cpu)?\s*$", r"torch==\1+cpu", text, flags=re.M)
    file.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
