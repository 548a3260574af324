"""tlsreport: TLS scan reports inside a Pelican blog.

Pelican loads this package (PLUGINS = ["tlsreport"]) and calls ``register()``. Everything
else — scanning, grading, history — is importable without Pelican, so the command line
(``python -m tlsreport``) and the tests do not pay for it.
"""

from .version import __version__

__all__ = ["__version__", "register"]


def register() -> None:
    """Connect tlsreport to Pelican's signals (see pelican_glue/).

    Imported here, not at the top: the command line and the tests import ``tlsreport``
    without paying for Pelican and the glue.
    """
    from . import pelican_glue

    pelican_glue.register()
