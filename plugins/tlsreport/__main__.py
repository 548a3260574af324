"""`python -m tlsreport …`: the command line (see cli.py)."""

from .cli import console_main

console_main()
