"""Production settings: `make publish` builds with these (pelican.conf.py plus overrides)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "tlsreport_site_conf", Path(__file__).resolve().with_name("pelican.conf.py")
)
assert _spec and _spec.loader
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)
globals().update({k: v for k, v in vars(_base).items() if k.isupper()})

# Set SITEURL to where the site will live; feeds need absolute URLs.
SITEURL = "https://tlsreport.example"
RELATIVE_URLS = False
FEED_ALL_ATOM = "feeds/all.atom.xml"
DELETE_OUTPUT_DIRECTORY = True
# Never scan while publishing: publish what history holds (run `make scan` first).
TLSREPORT_SCAN = "never"

# What a static host wants beside the pages (maintained pelican-plugins, namespace packages):
# sitemap.txt for search engines (the text form: the XML form stamps index pages with the build
# time, so every build would upload a changed file), and .gz/.br copies of every text file so
# nginx (gzip_static/brotli_static) or Apache (MultiViews) serve them without compressing per
# request — bench/bench_serve.py measures what on-the-fly gzip costs.
PLUGINS = [*_base.PLUGINS, "sitemap", "precompress"]
SITEMAP = {"format": "txt"}
PRECOMPRESS_GZIP = True
PRECOMPRESS_BROTLI = True
PRECOMPRESS_ZSTANDARD = False
PRECOMPRESS_OVERWRITE = True
# Pelican's text types plus what tlsreport writes: charts (SVG) and each post's data (CSV).
PRECOMPRESS_TEXT_EXTENSIONS = {
    ".atom",
    ".css",
    ".html",
    ".js",
    ".json",
    ".txt",
    ".xml",
    ".svg",
    ".csv",
}
