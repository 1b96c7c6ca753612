"""Load the knowledge base offline and give it a version and a reproducible SHA-256.

Every Turtle file of ontology/ is parsed on its own (so a syntax error names its file and line)
and merged; owl:imports are never followed. Rule headers join the graph as dorsum:Rule
individuals. The hash covers a canonical N-Triples serialisation of that graph (blank nodes
relabelled by rdflib.compare, lines sorted) plus the bytes of every shape, query and context
file, so it is identical on every run and machine and changes when one triple changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF

from ..errors import KnowledgeBaseError
from ..namespaces import PREFIXES
from .paths import KBPaths, kb_files, kb_paths, shipped_root
from .result_kinds import ResultKinds, value_shapes
from .rule_files import RuleFile, read_query_dir, rule_metadata_triples

_LINE = re.compile(r"line (\d+)", re.I)


def parse_turtle(path: Path, root: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several types; all mean "this file is broken"
        msg = str(exc).strip().splitlines()
        m = _LINE.search(str(exc))
        raise KnowledgeBaseError(
            str(path.relative_to(root)), " ".join(x.strip() for x in msg)[:400] or type(exc).__name__,
            int(m.group(1)) if m else None,
        ) from exc
    return g


def load_ttl_dir(directory: Path, root: Path, pattern: str = "*.ttl") -> Graph:
    merged = Graph()
    for path in sorted(directory.glob(pattern)):
        merged += parse_turtle(path, root)
    return merged


def canonical_ntriples(graph: Graph) -> bytes:
    canon = to_canonical_graph(graph)
    lines = sorted(line for line in canon.serialize(format="nt").splitlines() if line.strip())
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class KnowledgeBase:
    paths: KBPaths
    ontology: Graph
    rules: list[RuleFile]
    inference: list[RuleFile]
    checks: list[RuleFile]
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key, compute):
        """A value another subsystem computes from this knowledge base, computed once and kept with
        it (a knowledge base never changes once loaded)."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = compute()
        return found

    @cached_property
    def graph(self) -> Graph:
        """The ontology plus the rules' metadata: what rules and checks query."""
        g = Graph()
        for prefix, iri in PREFIXES.items():
            g.bind(prefix, iri, override=True)
        g += self.ontology
        for rule in self.rules:
            for t in rule_metadata_triples(rule):
                g.add(t)
        return g

    @cached_property
    def result_kinds(self) -> ResultKinds:
        """The kinds of conclusion and how a result shows them (ontology/results.ttl). A knowledge
        base older than that declaration (an old release compared by `dorsum diff`) is shown the
        way the knowledge base that comes with this dorsum declares."""
        kinds = ResultKinds.of_graph(self.ontology)
        if not kinds.shown:
            kinds = ResultKinds.of_graph(parse_turtle(shipped_root() / "ontology" / "results.ttl", shipped_root()))
        return kinds

    @cached_property
    def kb_shapes(self) -> Graph:
        """Shapes the knowledge base itself must satisfy (shapes/kb-*.ttl)."""
        return load_ttl_dir(self.paths.shapes, self.paths.root, "kb-*.ttl")

    @cached_property
    def case_shapes(self) -> Graph:
        """Shapes every input case must satisfy before any rule runs (shapes/case-*.ttl)."""
        return load_ttl_dir(self.paths.shapes, self.paths.root, "case-*.ttl")

    @cached_property
    def result_shapes(self) -> Graph:
        """Shapes every result graph must satisfy (shapes/result-*.ttl), and the ones the
        declared conclusion kinds imply (each names exactly one value)."""
        return load_ttl_dir(self.paths.shapes, self.paths.root, "result-*.ttl") + value_shapes(self.result_kinds)

    @cached_property
    def version(self) -> str:
        for onto in sorted(self.ontology.subjects(RDF.type, OWL.Ontology)):
            v = self.ontology.value(onto, OWL.versionInfo)
            if v is not None:
                return str(v)
        return "unversioned"

    @cached_property
    def sha256(self) -> str:
        h = hashlib.sha256()
        h.update(b"dorsum-kb-hash-v1\n")
        h.update(canonical_ntriples(self.graph))
        for path in self.asset_files():
            rel = path.relative_to(self.paths.root).as_posix()
            h.update(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
        return h.hexdigest()

    def asset_files(self) -> list[Path]:
        """Shape, query and context files that are part of the knowledge base (sorted)."""
        return [p for p in kb_files(self.paths.root) if p.parent != self.paths.ontology]

    def counts(self) -> dict[str, int]:
        g = self.graph
        q = lambda cls: len(set(g.subjects(RDF.type, URIRef(cls))))  # noqa: E731
        from ..namespaces import DORSUM
        return {
            "classes": q(str(OWL.Class)),
            "statements": len({s for c in ("GuidelineStatement", "RecommendationStatement", "InformationalStatement", "PitfallStatement")
                               for s in g.subjects(RDF.type, DORSUM[c])}),
            "references": len({s for c in ("Reference", "ArticleReference", "PrimarySource")
                               for s in g.subjects(RDF.type, DORSUM[c])}),
            "rules": len(self.rules),
            "checks": len(self.checks),
            "triples": len(g),
        }


def load_kb(root: str | Path | None = None) -> KnowledgeBase:
    paths = kb_paths(root)
    if not paths.ontology.is_dir():
        raise KnowledgeBaseError(str(paths.root), "no ontology/ directory: is this a dorsum knowledge base?")
    ontology = load_ttl_dir(paths.ontology, paths.root)
    return KnowledgeBase(
        paths=paths,
        ontology=ontology,
        rules=read_query_dir(paths.rules, paths.root),
        inference=read_query_dir(paths.inference, paths.root),
        checks=read_query_dir(paths.checks, paths.root),
    )
