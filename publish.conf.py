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
