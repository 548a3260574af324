"""Print the machine and software a bench run was measured on (RESULTS.md's header).

    .venv/bin/python bench/machine.py

So that the header of ``bench/RESULTS.md`` is printed by a script too, like every other
figure there: date, code revision, cores, memory, load, OS, Python and the versions of the
packages and tools the benches use.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import describe, load_note

PACKAGES = ("pelican", "sslyze", "dask", "distributed", "psutil")
TOOLS = {
    "nginx": ["nginx", "-v"],
    "wrk": ["wrk", "--version"],
    "testssl.sh": ["testssl", "--version"],
}


def _tool_version(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        return "not installed"
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    text = (proc.stdout + proc.stderr).strip()
    for line in text.splitlines():
        for word in line.replace("/", " ").split():
            if word[:1].isdigit() and "." in word:
                return word.rstrip(",")
    return text.splitlines()[0] if text else "?"


def main() -> int:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    os_name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; code {describe()}")
    print(
        f"machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{mem / 2**30:.1f} GiB RAM, {os_name}; {load_note()}"
    )
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    print(f"python {platform.python_version()}; " + ", ".join(versions))
    print("tools: " + ", ".join(f"{name} {_tool_version(cmd)}" for name, cmd in TOOLS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
