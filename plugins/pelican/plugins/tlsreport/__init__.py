"""The namespace plugin Pelican discovers: ``pelican.plugins.tlsreport``.

Pelican ≥ 4.5 finds installed plugins as ``pelican.plugins.<name>`` (``PLUGINS = ["tlsreport"]``
maps to it; without a PLUGINS list every installed one is loaded), like every pelican-plugins
plugin. The code itself stays in the ``tlsreport`` import package so that everything that
imports it keeps working: ``python -m tlsreport`` and the ``tlsreport`` command, the lab's
server processes (``python -m tlsreport.lab.serve``, started fast without Pelican), the tests
and every ``from tlsreport… import``. This module only hands Pelican's ``register()`` over.
"""

import tlsreport


def register() -> None:
    """Connect tlsreport to Pelican's signals (``tlsreport.register``)."""
    tlsreport.register()
