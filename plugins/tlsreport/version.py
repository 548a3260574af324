"""The tlsreport version, in one place (snapshots record it; the HSTS probe sends it)."""

__version__ = "0.1.0"
