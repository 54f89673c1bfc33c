"""Bảo đảm gói ``rules`` import được khi chạy ``.venv/bin/pytest`` từ gốc repo
(dự án có thể chưa được cài dạng editable)."""
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
