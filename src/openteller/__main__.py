"""`python -m openteller` runs the CLI."""

from openteller.cli import main

main()
