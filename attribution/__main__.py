"""`python -m attribution` runs the CLI."""

from .cli import main

main()
