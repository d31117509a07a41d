"""Write the configuration of the student edition to _build/student/_config.yml.

It is the book's _config.yml with three changes: solutions are removed from
the pages (``book_student_edition``; _ext/book_site.py), the chapter notebooks get stubs in
place of solution code (``book_student_edition``, see _ext/book_site.py) and
go to _build/student/notebooks, and execution reuses the main build's cache.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "_build" / "student" / "_config.yml"


def main() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("execute", {})["cache"] = str(ROOT / "_build" / ".jupyter_cache")
    # Paths in the configuration are read relative to the configuration file.
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()}
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["book_student_edition"] = True
    sphinx_config["book_notebooks_dir"] = str(ROOT / "_build" / "student" / "notebooks")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    print(f"student edition configuration: {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
