"""Shared test set-up: make the plugin importable as `tlsreport` without the .pth file."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
