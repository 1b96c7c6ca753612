"""Options shared by several subcommands."""

import click

kb_option = click.option(
    "--kb", "kb_root", type=click.Path(file_okay=False, exists=True), default=None,
    envvar="DORSUM_KB", help="Knowledge-base directory (default: the installed checkout).")
