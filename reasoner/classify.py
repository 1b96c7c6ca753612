"""The pipeline for one case and for a batch: intake -> validate -> infer -> result graph -> JSON.

Every input case yields exactly one CaseResult, in input order: an invalid case carries its errors
and no rule runs on it; a valid one carries its result graph (input, inferences, provenance) and the
JSON view of that graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from rdflib import Graph

from .context import load_context
from .engine import Engine
from .intake import CaseInput, read_cases
from .kb import KnowledgeBase, load_kb
from .intake import case_iri
from .provenance import add_result_node, build_result_graph
from .results import ResultView
from .validate import CaseValidator


@dataclass
class CaseResult:
    case_id: str
    status: str              # "classified" or "invalid"
    json: dict
    graph: Graph             # the result graph (for an invalid case: the result node and its errors)
    source: str

    @property
    def ok(self) -> bool:
        return self.status == "classified"


class Classifier:
    """Holds the loaded knowledge base and engine; reuse one for many cases."""

    def __init__(self, kb: KnowledgeBase | None = None, kb_root: str | Path | None = None,
                 shacl_engine: str = "compiled"):
        self.kb = kb or load_kb(kb_root)
        self.ctx = load_context(str(self.kb.paths.context))
        self.validator = CaseValidator(self.kb, self.ctx, engine=shacl_engine)
        self.engine = Engine(self.kb)
        self.view = ResultView(self.kb, self.ctx)

    def validate(self, ci: CaseInput) -> list[dict]:
        return list(ci.errors) if ci.errors else self.validator.validate(ci)

    def validate_many(self, inputs: list[CaseInput]) -> list[list[dict]]:
        """The errors of each case of a chunk (intake errors, else the case shapes' errors, all
        the chunk's cases validated at once)."""
        shaped = iter(self.validator.validate_many([ci for ci in inputs if not ci.errors]))
        return [list(ci.errors) if ci.errors else next(shaped) for ci in inputs]

    def classify_input(self, ci: CaseInput) -> CaseResult:
        """One case: a chunk of one (the batch path and the single-case path are the same code)."""
        return self.classify_many([ci])[0]

    def classify_many(self, inputs: list[CaseInput], view: bool = True) -> list[CaseResult]:
        """Classify a chunk of cases with one engine run (see Engine.derive_batch): the same
        results as classify_input one by one, at a fraction of the cost per case. With
        view=False the JSON view is skipped and the result graphs leave the rules' statements and
        references to the knowledge-base graph (a store needs only the case's own triples)."""
        errors = self.validate_many(inputs)
        valid = [(ci.iri, ci.graph) for ci, errs in zip(inputs, errors) if not errs and ci.graph is not None]
        derivations = self.engine.derive_batch(valid)
        out = []
        for ci, errs in zip(inputs, errors):
            if errs or ci.graph is None:
                graph = Graph()
                add_result_node(graph, ci.iri or case_iri(ci.case_id), "invalid", self.kb, errs)
                js = self.view.invalid(ci.case_id, errs) if view else {}
                out.append(CaseResult(ci.case_id, "invalid", js, graph, ci.source))
                continue
            graph = build_result_graph(ci.iri, ci.graph, derivations[ci.iri], self.kb, self.ctx, self_contained=view)
            add_result_node(graph, ci.iri, "classified", self.kb)
            js = self.view.classified(ci.case_id, ci.iri, graph) if view else {}
            out.append(CaseResult(ci.case_id, "classified", js, graph, ci.source))
        return out

    def inputs(self, paths: Iterable[str | Path]) -> Iterator[CaseInput]:
        return read_cases(paths, self.kb.paths.context)

    def classify_paths(self, paths: Iterable[str | Path]) -> Iterator[CaseResult]:
        for ci in self.inputs(paths):
            yield self.classify_input(ci)
