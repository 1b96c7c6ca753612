"""Rule files: one SPARQL CONSTRUCT a file, with a header of `# key: value` comment lines.

The header is the rule's metadata (what it implements, its stratum, its status); dorsum loads it
into the knowledge-base graph so rules are first-class, queryable and checkable like statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import KnowledgeBaseError
from ..namespaces import DORSUM, PREFIXES, RULE_BASE, SPARQL_PREFIXES

HEADER_LINE = re.compile(r"^#\s*([a-z-]+)\s*:\s*(.*?)\s*$")
LIST_KEYS = {"implements"}


@dataclass(frozen=True)
class RuleFile:
    """A rule (or inference or check query) as read from disk."""

    path: Path
    relpath: str
    iri: str
    text: str
    header: dict = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def stratum(self) -> int:
        return int(self.header.get("stratum", 1))

    @property
    def status(self) -> str:
        return self.header.get("status", "active")

    @property
    def title(self) -> str:
        return self.header.get("title", self.stem)

    @property
    def pathway(self) -> str | None:
        """The care pathway the rule belongs to (`# pathway: <slug>`), as an IRI, or None."""
        slug = self.header.get("pathway")
        return expand(slug if ":" in slug else f"dorsum:pathway-{slug}") if slug else None

    @property
    def implements(self) -> list[str]:
        return [expand(x) for x in self.header.get("implements", [])]


def expand(curie: str) -> str:
    """Expand `dorsum:local-name` (or a full IRI in <>) to an IRI string."""
    curie = curie.strip()
    if curie.startswith("<") and curie.endswith(">"):
        return curie[1:-1]
    prefix, _, local = curie.partition(":")
    if prefix in PREFIXES and local:
        return PREFIXES[prefix] + local
    return curie


def parse_header(text: str) -> dict:
    header: dict = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = HEADER_LINE.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if key in LIST_KEYS:
            header.setdefault(key, []).extend(v for v in re.split(r"[,\s]+", value) if v)
        elif key in header and key == "description":
            header[key] += " " + value
        else:
            header[key] = value
    return header


def read_query_dir(directory: Path, root: Path, base: str = RULE_BASE) -> list[RuleFile]:
    """Read every .rq file of a directory, sorted by name so the run order is fixed. A query with a
    SERVICE (federated query) clause is refused with an error naming its file (sparql_safety); the
    text kept is the normalised one, which is what was checked and what the engines run."""
    from ..sparql_safety import QueryRefused, kb_query_refusal, normalise

    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.rq")):
        rel = str(path.relative_to(root))
        try:
            text = normalise(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise KnowledgeBaseError(rel, f"not UTF-8: {exc}") from exc
        except QueryRefused as exc:
            raise KnowledgeBaseError(rel, str(exc)) from None
        why = kb_query_refusal(SPARQL_PREFIXES + text)
        if why:
            raise KnowledgeBaseError(rel, why)
        header = parse_header(text)
        iri = expand(header["rule"]) if "rule" in header else base + path.stem
        out.append(RuleFile(path, rel, iri, text, header))
    return out


def rule_metadata_triples(rule: RuleFile):
    """The rule header as RDF triples (loaded into the knowledge-base graph)."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import OWL, RDF, RDFS, XSD

    s = URIRef(rule.iri)
    yield s, RDF.type, DORSUM.Rule
    yield s, RDF.type, OWL.NamedIndividual
    yield s, RDFS.label, Literal(rule.title, lang="en")
    yield s, DORSUM.ruleFile, Literal(rule.relpath)
    yield s, DORSUM.stratum, Literal(rule.stratum, datatype=XSD.integer)
    yield s, DORSUM.status, URIRef(str(DORSUM) + "status-" + rule.status)
    if "version" in rule.header:
        yield s, OWL.versionInfo, Literal(rule.header["version"])
    if "description" in rule.header:
        yield s, URIRef("http://www.w3.org/2004/02/skos/core#definition"), Literal(rule.header["description"], lang="en")
    for stmt in rule.implements:
        yield s, DORSUM.implements, URIRef(stmt)
    if rule.pathway:
        yield s, DORSUM.inPathway, URIRef(rule.pathway)
