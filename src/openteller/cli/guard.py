"""`openteller guard` commands (filled in by its package)."""
