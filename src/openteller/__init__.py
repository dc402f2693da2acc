"""OpenTeller: build, run, govern and measure AI banking assistants."""

__version__ = "0.1.0"
