"""`make publish` adds what a static host wants: a sitemap and pre-compressed copies.

Both come from maintained pelican-plugins (pelican-sitemap, pelican-precompress) loaded by
publish.conf.py; these tests build with the real settings and read the files back.
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parents[2]
PELICAN = ROOT / ".venv" / "bin" / "pelican"


def build(out: Path, conf: str) -> str:
    run = subprocess.run(
        [
            str(PELICAN),
            str(ROOT / "content"),
            "-o",
            str(out),
            "-s",
            str(ROOT / conf),
            "--fatal",
            "errors",
            "-e",
            f'CACHE_PATH="{out.parent / "cache"}"',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("publish") / "output"
    build(out, "publish.conf.py")
    return out


def test_the_sitemap_lists_every_page_with_the_production_address(published: Path) -> None:
    urls = (published / "sitemap.txt").read_text(encoding="utf-8").split()
    pages = sorted(p.relative_to(published).as_posix() for p in published.rglob("*.html"))
    assert pages, "the build wrote no pages"
    for page in pages:
        url = "https://tlsreport.example/" + (
            page[: -len("index.html")] if page.endswith("index.html") else page
        )
        assert url in urls, page
    assert any("/tlsreport/belgian-banks/" in u for u in urls)  # the generated target pages


def test_every_text_file_has_gzip_and_brotli_copies_of_the_same_bytes(published: Path) -> None:
    texts = [
        p
        for p in published.rglob("*")
        if p.suffix in (".html", ".css", ".xml", ".svg", ".json", ".csv", ".atom")
        and p.stat().st_size >= 100
    ]
    assert texts
    for path in texts:
        data = path.read_bytes()
        gz, br = path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")
        assert gz.is_file() and gzip.decompress(gz.read_bytes()) == data, path
        assert br.is_file() and brotli.decompress(br.read_bytes()) == data, path


def test_a_second_publish_build_gives_the_same_bytes(published: Path, tmp_path: Path) -> None:
    """rsync uploads only what changed: a sitemap or archive stamped with the build time would
    be uploaded on every publish."""
    again = tmp_path / "output"
    build(again, "publish.conf.py")
    first = {p.relative_to(published): p.read_bytes() for p in published.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_a_plain_development_build_warns_about_nothing(tmp_path: Path) -> None:
    log = build(tmp_path / "output", "pelican.conf.py")
    assert "WARNING" not in log, log
