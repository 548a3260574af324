"""What makes a generated file unsafe or unfit for a strict Content-Security-Policy.

Why a kit: the hostile-server tests and the output-safety tests ask the same questions of
every page, chart and stylesheet, and the answer must be a list of concrete findings (tag,
attribute, value) so a failure says what to fix. Each function is pure: bytes or text in,
findings out; tests/browser/test_output_safety.py checks that each one can find what it looks for.

The policy the site is meant to work under (README, "Content-Security-Policy")::

    default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none';
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'

and, for the SVG chart files only, ``CSP_SVG`` (their shapes carry inline styles).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The SVG charts style their shapes with attributes; as images no browser runs
# anything in them, and opened on their own this policy still allows no script or fetch.
CSP_SVG = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

# Elements the policy forbids or that could run or embed something.
FORBIDDEN_TAGS = (
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "applet",
    "base",
    "form",
    "noscript",
)
# Attributes that load a resource (href on <a> only navigates; it is checked for javascript:).
LOADING = {
    "img": "src",
    "source": "src",
    "link": "href",
    "video": "src",
    "audio": "src",
    "track": "src",
    "input": "src",
}
_URL_IN_CSS = re.compile(r"url\(\s*['\"]?([^)'\"]*)", re.I)


def _outside(url: str) -> bool:
    """True for anything the page would fetch from another origin (or a non-http scheme)."""
    parts = urlsplit(url.strip())
    return bool(parts.scheme or parts.netloc) or url.strip().startswith("//")


def html_problems(html: str) -> list[str]:
    """Inline script or style, handlers, outside resources, forbidden elements, js: URLs."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for tag in soup.find_all(True):
        name = tag.name.lower()
        if name in FORBIDDEN_TAGS:
            found.append(f"<{name}> element")
        for attr, value in tag.attrs.items():
            attr = attr.lower()
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attr.startswith("on"):
                found.append(f"<{name} {attr}=...> handler")
            if attr == "style":
                found.append(f"<{name} style={text!r}> inline style")
            if text.strip().lower().startswith(("javascript:", "vbscript:")):
                found.append(f"<{name} {attr}={text!r}> script URL")
            if attr == "srcset":
                urls = [c.split()[0] for c in text.split(",") if c.strip()]
                found += [f"<{name} srcset {u!r}> loads from outside" for u in urls if _outside(u)]
            elif LOADING.get(name) == attr and _outside(text):
                found.append(f"<{name} {attr}={text!r}> loads from outside")
            if name == "meta" and attr == "http-equiv" and text.lower() == "refresh":
                found.append("<meta http-equiv=refresh>")
    return found


def svg_problems(data: bytes) -> list[str]:
    """What in an SVG could run code or fetch something: scripts, handlers, outside links.

    Namespace declarations and RDF metadata name vocabularies; a browser never fetches them,
    so only attributes that load something (href, src) and CSS ``url()`` count, and those may
    point inside the file only (``#id``).
    """
    found: list[str] = []
    for el in ET.fromstring(data).iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "image", "iframe"):
            found.append(f"<{tag}>")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                found.append(f"{tag} {local}=")
            if local in ("href", "src") and not value.startswith("#"):
                found.append(f"{tag} {local}={value!r}")
        text = " ".join(filter(None, [el.text, el.get("style")]))
        found += [f"url({u})" for u in _URL_IN_CSS.findall(text) if not u.startswith("#")]
        if "@import" in text or "javascript:" in text.lower():
            found.append(text[:60])
    return found


def css_problems(css: str) -> list[str]:
    """Outside fetches and script-ish constructs in a stylesheet."""
    found = [
        f"url({u})" for u in _URL_IN_CSS.findall(css) if _outside(u) and not u.startswith("data:")
    ]
    found += [
        f"@import {m}"
        for m in re.findall(r"@import\s+([^;]+)", css)
        if _outside(m.strip("'\" ").removeprefix("url(").rstrip(")").strip("'\""))
    ]
    if re.search(r"expression\s*\(|javascript:|behavior\s*:", css, re.I):
        found.append("script in CSS")
    return found
