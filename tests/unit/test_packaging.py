"""The plugin as Pelican and a shell see it once installed (pyproject.toml, `make` installs it).

Why: a stranger's site names no PLUGIN_PATHS; Pelican must find ``pelican.plugins.tlsreport``
by namespace discovery, and the plugin must take that module as "this build loaded me".
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pelican.plugins._utils import get_namespace_plugins, load_plugins
from tlsreport import __version__
from tlsreport.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_pelican_discovers_the_namespace_plugin() -> None:
    assert "pelican.plugins.tlsreport" in get_namespace_plugins()
    loaded = load_plugins({"PLUGINS": ["tlsreport"]})
    assert [m.__name__ for m in loaded] == ["pelican.plugins.tlsreport"]


def test_namespace_folders_have_no_init() -> None:
    """An __init__.py in plugins/pelican/ would shadow Pelican itself for this checkout."""
    assert not (ROOT / "plugins" / "pelican" / "__init__.py").exists()
    assert not (ROOT / "plugins" / "pelican" / "plugins" / "__init__.py").exists()


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"tlsreport {__version__}"


def test_installed_command_has_version() -> None:
    command = Path(sys.executable).with_name("tlsreport")
    out = subprocess.run([str(command), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"tlsreport {__version__}"


def test_version_is_read_from_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "tlsreport.version.__version__"
    }
