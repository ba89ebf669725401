"""The `attribution` command."""

from attribution.cli.app import main

__all__ = ["main"]
