"""Pelican settings for the example tlsreport site (Belgian banks & SSL, mail servers)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

AUTHOR = "tlsreport"
SITENAME = "tlsreport — who is secure and who is not"
# Where `make devserver` serves the site: feeds need an absolute address (publish.conf.py sets
# the real one). Pages use relative links (RELATIVE_URLS below), so any address works for them.
SITEURL = "http://127.0.0.1:8000"
TIMEZONE = "Europe/Brussels"
DEFAULT_LANG = "en"
PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []
THEME = str(HERE / "theme")

# Feeds: one Atom feed for the whole site is what readers subscribe to.
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

DEFAULT_PAGINATION = 10
RELATIVE_URLS = True
DEFAULT_DATE = None

# The tlsreport plugin, installed as a stranger's site installs it (`make` runs
# `pip install -e .`: the namespace plugin pelican.plugins.tlsreport, source in plugins/).
# PLUGINS fixes the load order and turns off namespace-plugin auto-discovery.
PLUGINS = ["tlsreport"]

# tlsreport settings (see README.md, "Settings").
TLSREPORT_TARGETS_DIR = str(HERE / "data" / "targets")
TLSREPORT_HISTORY_DIR = str(HERE / "data" / "history")
# "auto": scan lists with `scan = true` whose newest snapshot is older than TLSREPORT_MAX_AGE;
# "never": only read history (what `make html` does for the example site); "always".
TLSREPORT_SCAN = "auto"
TLSREPORT_MAX_AGE = 24 * 3600
# Traffic reports (python -m tlsreport traffic ... --out data/traffic/NAME.json) for
# [tlsreport traffic data=NAME view=...].
TLSREPORT_TRAFFIC_DIR = str(HERE / "data" / "traffic")
# This site's theme styles every tlsreport class itself; the plugin's own small stylesheet is
# for themes that do not (see README.md, "Use it in your own Pelican site").
TLSREPORT_STYLESHEET = False
