"""Cut a release of the knowledge base, as ODK's release workflow does: `make release VERSION=x.y.z`
(which runs `make check` first) calls `python -m reasoner.repro.release x.y.z`.

A release is a git tag a researcher can cite (CITATION.cff) and reproduce (a run manifest records
the knowledge base's version and SHA-256). This module refuses unless the checkout is clean, the
version is a new x.y.z above the last release, the tag is free and `dorsum check` passes; then it
sets owl:versionInfo and owl:versionIRI, the package version and CITATION.cff, writes a
CHANGELOG.md entry whose body is the behaviour diff against the previous release on the test
cases (`dorsum diff`), commits, and tags v<version>. It never pushes.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

ONTOLOGY_FILE = "ontology/dorsum.ttl"
VERSION_IRI_BASE = "https://w3id.org/dorsum/ontology/"
CASES = "tests/vignettes"


class ReleaseRefused(Exception):
    pass


def _version(text: str) -> tuple[int, int, int]:
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() and (p == "0" or not p.startswith("0")) for p in parts):
        raise ReleaseRefused(f"VERSION {text!r} is not x.y.z (three numbers, e.g. 0.2.0)")
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def _git(root: Path, *args: str, check: bool = True) -> str:
    res = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if check and res.returncode != 0:
        raise ReleaseRefused(f"git {' '.join(args)} failed: {res.stderr.strip()}")
    return res.stdout.strip()


def previous_release(root: Path) -> str | None:
    """The highest v<x.y.z> tag, or None."""
    tags = []
    for tag in _git(root, "tag", "--list", "v*").split():
        try:
            tags.append((_version(tag[1:]), tag))
        except ReleaseRefused:
            continue
    return max(tags)[1] if tags else None


def _replace_once(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence (the file's layout and comments stay as written)."""
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ReleaseRefused(f"{path.name}: expected exactly one {old!r} to update, found {text.count(old)}")
    path.write_text(text.replace(old, new), encoding="utf-8")


def ontology_version(root: Path) -> tuple[URIRef, str, URIRef | None]:
    g = Graph().parse(root / ONTOLOGY_FILE, format="turtle")
    (onto,) = list(g.subjects(RDF.type, OWL.Ontology))
    return onto, str(g.value(onto, OWL.versionInfo)), g.value(onto, OWL.versionIRI)


def set_versions(root: Path, version: str) -> None:
    """owl:versionInfo and owl:versionIRI (checked by parsing the file again), the package's
    __version__ and CITATION.cff."""
    onto, info, iri = ontology_version(root)
    path = root / ONTOLOGY_FILE
    _replace_once(path, f'owl:versionInfo "{info}"', f'owl:versionInfo "{version}"')
    if iri is not None:
        _replace_once(path, f"owl:versionIRI <{iri}>", f"owl:versionIRI <{VERSION_IRI_BASE}{version}>")
    _, new_info, new_iri = ontology_version(root)
    if new_info != version or new_iri != URIRef(VERSION_IRI_BASE + version):
        raise ReleaseRefused(f"{ONTOLOGY_FILE}: the ontology header did not take the new version "
                             f"(versionInfo {new_info!r}, versionIRI {new_iri}): set it by hand and retry")
    init = root / "reasoner" / "__init__.py"
    if init.exists():
        import ast

        tree = ast.parse(init.read_text(encoding="utf-8"))
        current = next(n.value.value for n in tree.body if isinstance(n, ast.Assign)
                       and any(getattr(t, "id", None) == "__version__" for t in n.targets))
        _replace_once(init, f'__version__ = "{current}"', f'__version__ = "{version}"')
    cff = root / "CITATION.cff"
    if cff.exists():
        lines = [line for line in cff.read_text(encoding="utf-8").splitlines() if not line.startswith("date-released:")]
        lines = [f'version: "{version}"' if line.startswith("version:") else line for line in lines]
        at = next(i for i, line in enumerate(lines) if line.startswith("version:")) + 1
        lines.insert(at, f'date-released: "{datetime.date.today().isoformat()}"')
        cff.write_text("\n".join(lines) + "\n", encoding="utf-8")


def behaviour_diff(root: Path, base: str | None) -> str:
    """`dorsum diff --base <previous release>` on the test cases, as a terminal would show it."""
    if base is None:
        return "First release: there is no previous release to compare with."
    from io import StringIO

    from rich.console import Console

    from .impact import diff, render_table

    report = diff(base, root, [root / CASES])
    buf = StringIO()
    render_table(report, Console(file=buf, highlight=False, width=160, no_color=True))
    return buf.getvalue().rstrip() + "\n"


def changelog_entry(version: str, base: str | None, body: str) -> str:
    today = datetime.date.today().isoformat()
    against = f"against {base}" if base else ""
    return (f"## {version} ({today})\n\n"
            f"Knowledge base `{VERSION_IRI_BASE}{version}`. Behaviour diff {against} on the test cases "
            f"({CASES}/), as `dorsum diff --base {base or '-'} --cases {CASES}` prints it:\n\n"
            f"```text\n{body}```\n\n")


def write_changelog(root: Path, entry: str) -> None:
    path = root / "CHANGELOG.md"
    head = "# Changelog\n\nReleases of the dorsum knowledge base and engine (`make release VERSION=x.y.z`).\n\n"
    old = path.read_text(encoding="utf-8") if path.exists() else head
    if not old.startswith(head):
        old = head + old
    path.write_text(head + entry + old[len(head):], encoding="utf-8")


def release(root: Path, version: str, run_check: bool = True) -> str:
    new = _version(version)
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        raise ReleaseRefused("the checkout has uncommitted changes: commit or stash them first")
    tag = f"v{version}"
    if _git(root, "tag", "--list", tag):
        raise ReleaseRefused(f"the tag {tag} exists already")
    base = previous_release(root)
    if base is not None and new <= _version(base[1:]):
        raise ReleaseRefused(f"VERSION {version} is not above the last release {base}")
    if run_check:
        from ..qa.check import run_check as check_kb

        report = check_kb(root, reasoner=False)
        if not report.ok:
            errors = [p.line() for p in report.problems if p.severity == "ERROR"]
            raise ReleaseRefused("dorsum check fails: " + "; ".join(errors[:5]))
    set_versions(root, version)
    entry = changelog_entry(version, base, behaviour_diff(root, base))
    write_changelog(root, entry)
    _git(root, "add", "-u")
    _git(root, "add", "CHANGELOG.md")
    _git(root, "commit", "-q", "-m", f"Release {version}" + (f" (behaviour diff against {base} in CHANGELOG.md)" if base else ""))
    _git(root, "tag", "-a", tag, "-m", f"dorsum {version}: knowledge base {VERSION_IRI_BASE}{version}")
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reasoner.repro.release", description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the new version, x.y.z")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[2]),
                        help="the checkout to release (default: the one this dorsum runs from)")
    args = parser.parse_args(argv)
    try:
        tag = release(Path(args.root).resolve(), args.version)
    except ReleaseRefused as exc:
        print(f"release refused: {exc}", file=sys.stderr)
        return 2
    print(f"released {tag}: CHANGELOG.md written, commit and tag made (push them with git push --follow-tags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
