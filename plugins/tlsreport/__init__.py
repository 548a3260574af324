"""tlsreport: TLS scan reports inside a Pelican blog.

Pelican loads this package (PLUGINS = ["tlsreport"]) and calls ``register()``. Everything
else — scanning, grading, history — is importable without Pelican, so the command line
(``python -m tlsreport``) and the tests do not pay for it.
"""

__version__ = "0.1.0"


def register() -> None:
    """Connect tlsreport to Pelican's signals (see pelican_glue.py)."""
    from . import pelican_glue

    pelican_glue.register()
