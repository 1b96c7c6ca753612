"""A case as intake hands it on: its graph when it could be read, else the errors saying why not,
and the IRI a case id becomes (the one rule for it: the store names a case's graph the same way)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph

from ..namespaces import CASE_BASE, case_id_segment
from .problems import printable


@dataclass(frozen=True)
class Partial:
    """What could be read of a case with intake errors: its graph without the offending keys, for
    the case shapes only (never for inference), and the paths of the keys left out: a shape error
    at one of them, below one, or on the node that held one may come from leaving it out, so it is
    not reported (Classifier.validate_many)."""

    iri: str
    graph: Graph
    dropped: tuple[str, ...]


@dataclass
class CaseInput:
    """One input case: its graph when intake succeeded, else the errors that say why not."""

    case_id: str
    source: str
    iri: str | None = None
    graph: Graph | None = None
    errors: list[dict] = field(default_factory=list)
    partial: Partial | None = None

    @property
    def ok(self) -> bool:
        return self.graph is not None and not self.errors


def case_iri(case_id: str) -> str:
    """A case id becomes an IRI; characters that would break an IRI are percent-encoded."""
    return CASE_BASE + case_id_segment(printable(case_id))
