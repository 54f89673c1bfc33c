"""Database migrations (Alembic). The migration scripts live in the source tree (`alembic/`, next to
`alembic.ini`), not in the installed package: an editable install finds them next to the code, an
installed one (`pip install .`, as in the image) in the working directory (the image's /app)."""
from pathlib import Path

from alembic import command
from alembic.config import Config

from core.config import ROOT


def migrations_root() -> Path:
    for candidate in (ROOT, Path.cwd()):
        if (candidate / "alembic.ini").is_file() and (candidate / "alembic" / "env.py").is_file():
            return candidate
    raise RuntimeError(f"migrations not found: no alembic.ini and alembic/ in {ROOT} or in {Path.cwd()}; "
                       "run from the source tree (the image's /app)")


def upgrade(url: str) -> None:
    root = migrations_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
