"""`openteller kb` commands (filled in by its package)."""
