"""Make the ``rules`` package importable when running ``.venv/bin/pytest`` from the
repo root (the project may not be installed in editable mode)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
