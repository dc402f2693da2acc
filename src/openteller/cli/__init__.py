"""The `openteller` command line."""

from openteller.cli.app import app, main

__all__ = ["app", "main"]
