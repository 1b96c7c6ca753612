"""`python -m reasoner.cli` runs the `dorsum` command."""

from . import main

main(prog_name="dorsum")
