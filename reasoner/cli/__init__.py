"""The `dorsum` command: one click group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from .. import __version__


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, message=_versions())
def main() -> None:
    """dorsum: what to do about a lump on the back, from guideline statements to conclusions
    with provenance. Clinical decision support for professionals."""
    from ..gc_policy import for_dorsum

    for_dorsum()


from . import check_cmd, classify_cmd, coverage_cmd, diff_cmd, docs_cmd, explain_cmd, load_cmd, query_cmd, serve_cmd, test_rules_cmd, verify_cmd  # noqa: E402,F401  (registers the subcommands)
