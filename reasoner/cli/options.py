"""Options shared by several subcommands."""

import sys
from contextlib import contextmanager
from pathlib import Path

import click

# the rule test manifest that includes every other (defined beside the knowledge base's files)
from ..kb.paths import DEFAULT_MANIFEST  # noqa: F401  (re-exported for the subcommands)

# what makes a directory a knowledge base (reasoner/kb/paths.py names them)
KB_PARTS = ("ontology/", "shapes/", "queries/", "context/case.context.jsonld")


def kb_problem(root) -> str | None:
    """Why `root` is not a knowledge-base directory, or None when it is one."""
    path = Path(root)
    if not path.exists():
        return "no such directory"
    if not path.is_dir():
        return "is a file, not a directory"
    missing = [part for part in KB_PARTS
               if not ((path / part).is_dir() if part.endswith("/") else (path / part).is_file())]
    if missing:
        return "has no " + ", ".join(missing)
    return None


def checked_kb(ctx: click.Context, param: click.Parameter, value):
    """--kb / DORSUM_KB: a knowledge-base directory, else a one-line error naming it (exit 2)."""
    if value is None:
        return None
    why = kb_problem(value)
    if why:
        source = ctx.get_parameter_source(param.name)
        given = "DORSUM_KB" if source is click.core.ParameterSource.ENVIRONMENT else "--kb"
        err = click.ClickException(f"{given} {value}: {why}; expected a dorsum knowledge-base directory "
                                   f"(with {', '.join(KB_PARTS[:-1])} and {KB_PARTS[-1]})")
        err.exit_code = 2
        raise err
    return value


kb_option = click.option(
    "--kb", "kb_root", type=click.Path(), default=None, callback=checked_kb,
    envvar="DORSUM_KB", help="Knowledge-base directory (default: the installed checkout).")


stdin_format_option = click.option(
    "--stdin-format", type=click.Choice(["json", "jsonl", "turtle", "ntriples", "jsonld"]), default="json",
    show_default=True,
    help="How to read an input given as '-' (standard input): json is one case, a list of cases, or JSON Lines "
         "(decided by parsing); jsonl streams line by line.")


@contextmanager
def output(path):
    """Where an -o/--output option writes: the file (UTF-8, \\n line ends), or standard output for none or '-'."""
    if path in (None, "-"):
        yield sys.stdout
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
