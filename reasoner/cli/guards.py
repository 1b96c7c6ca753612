"""Checks and error wording shared by subcommands: a DorsumError as a one-line click error with its
exit code (2 for unusable input such as a directory that is no store), and outputs that would be
read back as inputs."""

from __future__ import annotations

from pathlib import Path

import click


def click_error(exc: Exception) -> click.ClickException:
    """The error as click prints it ("Error: ..."), exiting with the error's exit_code (default 1)."""
    err = click.ClickException(" ".join(str(exc).split()))
    err.exit_code = getattr(exc, "exit_code", 1)
    return err


def output_read_as_input(output, inputs, what: str = "output") -> str | None:
    """Why writing `output` would feed it back as input, or None. It would when it is one of the
    input files (it would be emptied before it is read), or when an input directory holds it with a
    case-file suffix: the directory is listed for case files, and a command writing its results
    there would read them as cases while it writes them, without end. Judged at any depth below an
    input directory, so a listing that recursed would still be covered."""
    from ..case.intake import INPUT_SUFFIXES

    if output in (None, "-"):
        return None
    out = Path(output).resolve()
    for given in inputs:
        p = Path(given).resolve()
        if p.is_dir():
            if out.suffix.lower() in INPUT_SUFFIXES and p in out.parents:
                return (f"the {what} {output} is inside the input directory {given}, where it would be read as a "
                        "case file: write it outside the input directories")
        elif out == p or (out.exists() and p.exists() and out.samefile(p)):
            return f"the {what} {output} is also an input: it would be overwritten before it is read; write it elsewhere"
    return None


def refuse_output_read_as_input(output, inputs, what: str = "output") -> None:
    """Exit 2 with the reason when output_read_as_input finds one."""
    why = output_read_as_input(output, inputs, what)
    if why:
        err = click.ClickException(why)
        err.exit_code = 2
        raise err
