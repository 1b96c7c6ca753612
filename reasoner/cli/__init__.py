"""The `dorsum` command: one click group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from .. import __version__
from ..errors import EXIT_CODES_HELP

ENVIRONMENT_HELP = ("Environment: DORSUM_KB (knowledge-base directory, as --kb), DORSUM_CACHE_DIR (where the "
                    "closed ontology and query analyses are cached; default $XDG_CACHE_HOME/dorsum or "
                    "~/.cache/dorsum), DORSUM_NO_CACHE=1 (no cache), DORSUM_STORE_USER and DORSUM_STORE_PASSWORD "
                    "(credentials of the other store of `load --to` and `push --to`), DORSUM_STORE_CA_BUNDLE (its CA "
                    "certificates). Shell completion: "
                    "eval \"$(_DORSUM_COMPLETE=bash_source dorsum)\" (zsh_source, fish_source for those shells).")


def _versions() -> str:
    from importlib.metadata import version
    libs = ["rdflib", "pyshacl", "owlrl", "owlready2", "pyoxigraph", "click", "rich", "fastapi", "uvicorn"]
    parts = []
    for lib in libs:
        try:
            parts.append(f"{lib} {version(lib)}")
        except Exception:  # pragma: no cover - a missing optional library
            parts.append(f"{lib} missing")
    return f"dorsum {__version__} (" + ", ".join(parts) + ")"


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP + " " + ENVIRONMENT_HELP)
@click.version_option(__version__, message=_versions())
@click.option("-v", "--verbose", count=True, help="More log output on standard error (-vv: everything, libraries too).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on standard error.")
def main(verbose: int, quiet: bool) -> None:
    """dorsum: what to do about a lump on the back, from guideline statements to conclusions
    with provenance. Clinical decision support for professionals."""
    from ..runtime.gc_policy import for_dorsum
    from .verbosity import configure

    configure(verbose, quiet)
    for_dorsum()


from . import check_cmd, classify_cmd, coverage_cmd, diff_cmd, docs_cmd, explain_cmd, load_cmd, push_cmd, query_cmd, serve_cmd, spark_cmd, test_rules_cmd, verify_cmd  # noqa: E402,F401  (registers the subcommands)
