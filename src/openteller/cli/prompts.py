"""`openteller prompts` commands (filled in by its package)."""
