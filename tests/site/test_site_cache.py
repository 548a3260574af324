"""Frozen in time with Pelican's content cache on: new data reaches the "latest" page only.

Pelican caches what readers return (reader layer) or whole article objects (generator
layer). Both builds here run with CACHE_CONTENT and LOAD_CONTENT_CACHE on, and a snapshot is
written between them, as `make scan` would between two `make html`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sitekit import build, post, recorded, snapshot, soup, write_history


@pytest.mark.parametrize("layer", ["reader", "generator"])
def test_new_snapshot_reaches_latest_page_and_old_post_stays_frozen(
    tmp_path: Path, layer: str
) -> None:
    write_history(
        tmp_path / "history",
        [
            snapshot("2015-02-15T12:00:00Z", [recorded("ING", "F", "SSL3 (insecure)")]),
        ],
    )
    post(
        tmp_path,
        "old",
        """
        [tlsreport grades list=banks]

        [tlsreport chart list=banks kind=history]
        """,
        Date="2015-02-15 20:00",
    )
    cached = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True, "CONTENT_CACHING_LAYER": layer}
    out = build(tmp_path, **cached)
    old_before = (out / "old.html").read_bytes()
    latest = out / "tlsreport" / "banks" / "index.html"
    assert "ING" in soup(latest).select_one(".tlsreport-table").get_text()
    assert list((tmp_path / "cache").iterdir()), "the first build must have written a cache"

    write_history(
        tmp_path / "history",
        [
            snapshot("2015-03-03T12:00:00Z", [recorded("ING", "A-"), recorded("Crelan", "A")]),
        ],
    )
    out = build(tmp_path, **cached)

    assert (out / "old.html").read_bytes() == old_before
    page = soup(latest)
    assert page.select_one("time")["datetime"] == "2015-03-03T12:00:00Z"
    assert "Crelan" in page.select_one(".tlsreport-table").get_text()
    # The old post's chart link still resolves (a cached post carries the old build's context).
    src = soup(out / "old.html").select_one("figure.tlsreport-chart img")["src"]
    assert "{static}" not in src and (out / src).is_file()
