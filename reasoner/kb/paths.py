"""Where the knowledge base lives.

The knowledge base is a directory with ontology/, shapes/ and queries/. By default it is the copy
installed with the package (a wheel), or the checkout dorsum runs from (editable install);
DORSUM_KB or --kb points elsewhere (a temporary copy in
tests, another git ref in a diff).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KBPaths:
    root: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def rules(self) -> Path:
        return self.queries / "rules"

    @property
    def inference(self) -> Path:
        return self.queries / "inference"

    @property
    def checks(self) -> Path:
        return self.queries / "checks"

    @property
    def analytics(self) -> Path:
        return self.queries / "analytics"

    @property
    def context(self) -> Path:
        return self.root / "context" / "case.context.jsonld"


# the rule test manifest that includes every other, relative to the knowledge base: what
# `dorsum test-rules` and `dorsum coverage` read when given none, and where the rule catalogue
# finds each rule's tests
DEFAULT_MANIFEST = Path("tests", "manifests", "manifest.ttl")

# The files that make up a knowledge base: what its hash covers (besides the ontology's graph),
# what a run manifest records, what dorsum diff compares and extracts from a git ref.
KB_DIRS = ("ontology", "shapes", "queries", "context")
KB_GLOBS = (("ontology", "*.ttl"), ("shapes", "*.ttl"), ("queries", "**/*.rq"), ("context", "*.jsonld"))


def kb_files(root: Path) -> list[Path]:
    """Every file of the knowledge base at root (sorted)."""
    root = Path(root)
    return sorted(p for d, pattern in KB_GLOBS for p in (root / d).glob(pattern) if p.is_file())


INSTALLED_KB = Path(__file__).resolve().parents[1] / "_kb"  # reasoner/_kb, beside the package (setup.py)


def shipped_root() -> Path:
    """The knowledge base that comes with this dorsum: the copy a wheel installs beside the
    package (setup.py puts it there); else, in a checkout or an editable install, the checkout's
    own top-level directories."""
    if (INSTALLED_KB / "ontology").is_dir():
        return INSTALLED_KB
    return Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """DORSUM_KB, else the knowledge base that comes with this dorsum."""
    env = os.environ.get("DORSUM_KB")
    if env:
        return Path(env).resolve()
    return shipped_root()


def kb_paths(root: str | Path | None = None) -> KBPaths:
    return KBPaths(Path(root).resolve() if root else default_root())
