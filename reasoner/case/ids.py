"""Case ids within one input, decided once here: the first case with an id (or a case IRI) keeps
it; a later case with the same id or IRI is an error on that later case, so no rule runs on it and
a store never writes it over the first (a store keeps one graph per id, and two cases with one
IRI would share their nodes in a batch). read_cases applies it to an input; a parallel load
applies it to each worker's chunk and again, in input order, to the whole input; a load writes
the first case of each id (first_of_each_id)."""

from __future__ import annotations

from typing import Iterable

from .case_input import CaseInput
from .problems import error


class CaseIds:
    """The case ids of one input so far: a later case with an id already used is in error."""

    def __init__(self):
        self.seen: dict[str, str] = {}
        self.iris: dict[str, str] = {}  # two cases with one IRI would share their nodes in a batch

    @staticmethod
    def has_identity(ci: CaseInput) -> bool:
        """A case whose id counts (not one that failed before an id could be read)."""
        return ci.iri is not None or ci.graph is not None or not ci.errors

    def check(self, ci: CaseInput) -> None:
        """The next case of the input: when it repeats an id or IRI used before, the error is added
        to it and its graph dropped (no rule runs on it)."""
        repeated = self.repeated(ci)
        if repeated is not None:
            ci.errors.append(repeated)
            ci.graph = None

    def repeated(self, ci: CaseInput, has_identity: bool | None = None) -> dict | None:
        """The error on `ci` when an earlier case of the input used its id or IRI, else None (and
        its id and IRI are now used). has_identity: as has_identity(ci), for a case whose errors
        and graph were dropped since."""
        if not (self.has_identity(ci) if has_identity is None else has_identity):
            return None
        first = self.seen.setdefault(ci.case_id, ci.source)
        if first != ci.source:
            return error("id", ci.case_id, f"case id '{ci.case_id}' is already used by {first} in this input; ids must be unique")
        if ci.iri is not None:
            first = self.iris.setdefault(ci.iri, ci.source)
            if first != ci.source:
                return error("id", ci.iri, f"case IRI <{ci.iri}> is already used by {first} in this input; "
                                           "each case needs its own IRI")
        return None


def first_of_each_id(cases: Iterable, seen: set) -> list:
    """The cases (anything with a case_id) whose id is not in `seen` yet, adding it: what a store
    writes of an input, so the first case with an id keeps its graph whatever follows it."""
    out = []
    for c in cases:
        if c.case_id not in seen:
            seen.add(c.case_id)
            out.append(c)
    return out
