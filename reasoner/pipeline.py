"""The pipeline for one case and for a batch: intake -> validate -> infer -> result graph -> JSON.

Every input case yields exactly one CaseResult, in input order: an invalid case carries its errors
and no rule runs on it; a valid one carries its result graph (input, inferences, provenance) and the
JSON view of that graph.
"""

from __future__ import annotations

import logging

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import Graph, URIRef

from .case.context import load_context
from .engine.fixpoint import Engine
from .case.intake import CaseInput, read_cases
from .kb.knowledge_base import KnowledgeBase, load_kb
from .case.intake import case_iri, error
from .results.provenance import firings, new_result_graph, provenance_triples, result_node_triples
from .results.stored import store_form, without_entailed_types
from .results.triple_index import TripleIndex
from .results.view import ResultView
from .terms import ox_triples, rdflib_triples
from .shacl.validate import CaseValidator
from .runtime.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class CaseResult:
    case_id: str
    status: str              # "classified" or "invalid"
    json: dict
    source: str
    # what the result graph is made of: the case's triples (rdflib and pyoxigraph), its Derivation
    # (None for an invalid case) and the further pyoxigraph Triples (provenance, the result node)
    parts: tuple = ((), (), None, ())
    # True: the store's form (results/stored.py): the further triples are the whole graph
    stored: bool = False
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "classified"

    @property
    def graph(self) -> Graph:
        """The result graph (for an invalid case: the result node and its errors), built on first use."""
        if self._graph is None:
            case_triples, _case_ox, derivation, extra = self.parts
            g = new_result_graph() if derivation is not None else Graph()
            g += case_triples
            if derivation is not None and not self.stored:
                g += derivation.triples
            # the runtime's cached conversion where there is one: provenance repeats the KB's terms
            convert = rdflib_triples if derivation is None or derivation.terms is None else derivation.terms.rdflib_triples
            g += convert(extra)
            self._graph = g
        return self._graph

    def ox_triples(self) -> list:
        """The result graph's triples as pyoxigraph Triples (possibly repeated), without building
        the rdflib graph: what a store writes."""
        _case_triples, case_ox, derivation, extra = self.parts
        return list(case_ox) + (list(derivation.ox_triples) if derivation is not None and not self.stored else []) + list(extra)


def invalid_result(ci: CaseInput, errors: list[dict], kb: KnowledgeBase, json: dict | None = None,
                   stored: bool = False) -> CaseResult:
    """The result of a case no rule runs on: its result node with status invalid and its errors
    (stored: in the store's form, without the types the ontology entails)."""
    node = result_node_triples(ci.iri or case_iri(ci.case_id), "invalid", kb, errors)
    if stored:
        node = without_entailed_types(node, kb)
    return CaseResult(ci.case_id, "invalid", json or {}, ci.source, ((), (), None, node), stored=stored)


def stored_result(ci: CaseInput, converted: list, derivation, extra: list, fired: list, kb: KnowledgeBase) -> CaseResult:
    """A classified case in the store's form (results/stored.py): what the KB graph holds or the
    ontology entails left out, with the summary of its result."""
    triples = store_form(ci.iri, [*converted, *derivation.ox_triples, *extra], fired, kb)
    return CaseResult(ci.case_id, "classified", {}, ci.source, ((), (), derivation, triples), stored=True)


def sharing_nodes(prepared: list) -> set[int]:
    """The indexes of the cases of a chunk that name a node another case of the chunk describes
    (a subject of one case's triples in another's triples): in one store they would see each
    other's data. Intake keeps each case to its own nodes, so this is rare (two case IRIs one
    under the other, say); those cases are classified alone, which is what each would give alone."""
    owner: dict = {}
    out: set[int] = set()
    for i, p in enumerate(prepared):
        if p is not None:
            for s, _p, _o in p[0]:
                j = owner.setdefault(s, i)
                if j != i:
                    out |= {i, j}
    for i, p in enumerate(prepared):
        if p is not None:
            for _s, _p, o in p[0]:
                j = owner.get(o)
                if j is not None and j != i:
                    out |= {i, j}
    return out


def _left_out(path: str, dropped: tuple[str, ...]) -> bool:
    """Whether a shape error at `path` may come from intake leaving keys out of a partial graph: at
    a key left out, below one, or on the node that held one (e.g. a missing age, when the age was
    given under an unknown key)."""
    for d in dropped:
        parent = d.rsplit(".", 1)[0] if "." in d else ""
        if path == d or path.startswith(d + ".") or path.startswith(d + "[") or path == parent:
            return True
    return False


class Classifier:
    """Holds the loaded knowledge base, engine and runtime (threads, caches, an optional
    observer); reuse one for many cases."""

    def __init__(self, kb: KnowledgeBase | None = None, kb_root: str | Path | None = None,
                 shacl_engine: str = "compiled", runtime: Runtime | None = None):
        self.kb = kb or load_kb(kb_root)
        self.runtime = runtime if runtime is not None else Runtime()
        self.ctx = self.kb.memo(load_context, lambda: load_context(self.kb.paths.context))
        self.validator = CaseValidator(self.kb, self.ctx, engine=shacl_engine, runtime=self.runtime)
        self.engine = Engine(self.kb, self.runtime)
        self.view = ResultView(self.kb, self.ctx)
        self._kb_terms: frozenset | None = None
        log.info("knowledge base %s (version %s, sha256 %s): %d queries; batches %s", self.kb.paths.root,
                 self.kb.version, self.kb.sha256[:12], len(self.engine.queries),
                 "run one case at a time" if self.engine.not_batchable else "run together")

    def validate(self, ci: CaseInput) -> list[dict]:
        return self.validate_many([ci], threads=1)[0] if ci.errors else self.validator.validate(ci)

    def validate_many(self, inputs: list[CaseInput], prepared: list | None = None,
                      threads: int = 2) -> list[list[dict]]:
        """The errors of each case of a chunk (intake errors, else the case shapes' errors, all
        the chunk's cases validated at once). A case with intake errors and a partial graph (what
        could be read of it) also gets the shapes' errors on that graph, so one run reports every
        problem. prepared: see `prepare`; threads: see CaseValidator.validate_many."""
        prepared = prepared if prepared is not None else self.prepare(inputs)
        kb_errors = [None if ci.errors or p is None else self.kb_term_errors(p[0]) for ci, p in zip(inputs, prepared)]
        todo = [(ci, p) for ci, p, k in zip(inputs, prepared, kb_errors) if not ci.errors and not k]
        partial = [CaseInput(ci.case_id, ci.source, ci.partial.iri, ci.partial.graph)
                   for ci in inputs if ci.errors and ci.partial is not None]
        todo += [(ci, p) for ci, p in zip(partial, self.prepare(partial))]
        shaped = iter(self.validator.validate_many([ci for ci, _ in todo], [p for _, p in todo], threads))
        checked = [k if k else None if ci.errors else next(shaped) for ci, k in zip(inputs, kb_errors)]
        out = []
        for ci, errs in zip(inputs, checked):
            if not ci.errors:
                out.append(errs)
                continue
            more = next(shaped) if ci.partial is not None else []
            out.append(list(ci.errors) + [e for e in more if not _left_out(e["path"], ci.partial.dropped)])
        return out

    def kb_term_errors(self, triples: list) -> list[dict]:
        """A triple of the case about a knowledge-base term (any subject of the KB graph) is an error
        on the case (intake refuses the dorsum namespace; this covers the KB's other subjects)."""
        if self._kb_terms is None:
            self._kb_terms = frozenset(s for s in self.kb.graph.subjects() if isinstance(s, URIRef))
        bad = sorted({(s.n3(), p.n3()) for s, p, _o in triples if s in self._kb_terms})
        return [error("", f"{s} {p}", f"a triple about {s}, a term of the knowledge base: a case may describe "
                                      "only its own nodes, never the knowledge base") for s, p in bad]

    @staticmethod
    def prepare(inputs: list[CaseInput]) -> list:
        """Each case's triples, read once, as rdflib and as pyoxigraph triples (validation,
        inference and the store share them); None for a case without a graph."""
        out = []
        for ci in inputs:
            if ci.graph is None or ci.errors:
                out.append(None)
                continue
            triples = list(ci.graph)
            out.append((triples, ox_triples(triples)))
        return out

    def classify_input(self, ci: CaseInput) -> CaseResult:
        """One case: a chunk of one (the batch path and the single-case path are the same code)."""
        return self.classify_many([ci])[0]

    def classify_many(self, inputs: list[CaseInput], view: bool = True) -> list[CaseResult]:
        """Classify a chunk of cases with one engine run (see Engine.derive_batch): the same
        results as classify_input one by one, at a fraction of the cost per case. With
        view=False the JSON view is skipped and the result graphs are in the store's form
        (results/stored.py): the rules' statements, references and associations are left to the
        knowledge-base graph, the types the ontology entails are left out, a summary is added."""
        prepared = self.prepare(inputs)
        shared = sharing_nodes(prepared) if len(inputs) > 1 else set()
        if shared:  # cases that would meet in one store: each one alone, the others together
            together = [i for i in range(len(inputs)) if i not in shared]
            done = dict(zip(together, self.classify_many([inputs[i] for i in together], view)))
            done.update((i, self.classify_many([inputs[i]], view)[0]) for i in sorted(shared))
            return [done[i] for i in range(len(inputs))]
        speculative = None
        if len(inputs) == 1 and prepared[0] is not None:
            # one case: infer while validating (on another thread), and use it only if the case is
            # valid (Oxigraph evaluates most of a query without the GIL, so the two overlap)
            speculative = self.runtime.executor("infer", 1).submit(self.engine.derive_batch, [(inputs[0].iri, prepared[0][0])],
                                           converted=[prepared[0][1]])
        # the speculative inference keeps the second core busy: the shapes' queries run on this thread
        errors = self.validate_many(inputs, prepared, threads=1 if speculative is not None else 2)
        valid = [(ci, p) for ci, p, errs in zip(inputs, prepared, errors) if not errs and p is not None]
        if speculative is not None:
            try:
                derivations = speculative.result()
            except Exception:
                if valid:
                    raise
                derivations = {}  # inference over an invalid case failed: it is not used anyway
        else:
            derivations = self.engine.derive_batch([(ci.iri, p[0]) for ci, p in valid], converted=[p[1] for _, p in valid])
        out = []
        for ci, p, errs in zip(inputs, prepared, errors):
            if errs or p is None:
                out.append(invalid_result(ci, errs, self.kb, self.view.invalid(ci.case_id, errs) if view else {},
                                          stored=not view))
                continue
            triples, converted = p
            derivation = derivations[ci.iri]
            fired = firings(ci.iri, converted, derivation, self.kb, self.ctx)  # the PROV and the view come from these
            extra = provenance_triples(ci.iri, converted, derivation, self.kb, self.ctx, self_contained=view, fired=fired)
            extra += result_node_triples(ci.iri, "classified", self.kb)
            if not view:
                out.append(stored_result(ci, converted, derivation, extra, fired, self.kb))
                continue
            r = CaseResult(ci.case_id, "classified", {}, ci.source, (triples, converted, derivation, extra))
            r.json = self.view.classified(ci.case_id, ci.iri, TripleIndex([*triples, *derivation.triples]), fired)
            out.append(r)
        return out

    def inputs(self, paths: Iterable[str | Path], stdin_format: str = "json") -> Iterator[CaseInput]:
        return read_cases(paths, self.ctx, stdin_format)

    def classify_chunks(self, paths: Iterable[str | Path], size: int, view: bool = True) -> Iterator[list[CaseResult]]:
        """The inputs streamed in chunks of `size` cases, each classified in one engine run: one
        chunk is in memory at a time however long the input."""
        pending: list[CaseInput] = []
        for ci in self.inputs(paths):
            pending.append(ci)
            if len(pending) >= size:
                yield self.classify_many(pending, view=view)
                pending = []
        if pending:
            yield self.classify_many(pending, view=view)

    def classify_paths(self, paths: Iterable[str | Path], stdin_format: str = "json") -> Iterator[CaseResult]:
        for ci in self.inputs(paths, stdin_format):
            yield self.classify_input(ci)
