"""Run HermiT (through owlready2) over the knowledge base: consistency and unsatisfiable classes.

HermiT runs once over the fixed TBox in `dorsum check`, never per case. owlready2 gets its own
in-memory World per call, so nothing leaks between runs, and reads an N-Triples copy of the
merged graph: it never sees, let alone fetches, an owl:imports.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph


class JavaMissing(RuntimeError):
    """HermiT needs a Java runtime and none is on PATH."""


@dataclass
class HermitReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    message: str = ""


def java_available() -> bool:
    return shutil.which("java") is not None


def without_imports(graph: Graph) -> Graph:
    """A copy without owl:imports: owlready2 would try to download every imported ontology."""
    from rdflib.namespace import OWL

    g = Graph()
    g += graph
    g.remove((None, OWL.imports, None))
    return g


@contextmanager
def _java(owlready2):
    """owlready2 reads the Java runtime from a module global: point it at the java on PATH for one
    HermiT run only, then put back what was there."""
    before = owlready2.JAVA_EXE
    owlready2.JAVA_EXE = shutil.which("java")
    try:
        yield
    finally:
        owlready2.JAVA_EXE = before


@contextmanager
def reasoned_world(graph: Graph):
    """A fresh owlready2 World holding `graph` (owl:imports removed), after HermiT has run on it.
    Raises owlready2's errors for an inconsistent ontology or a HermiT failure."""
    if not java_available():
        raise JavaMissing("HermiT needs Java, and no `java` is on PATH: install a JRE "
                          "(Debian: apt-get install default-jre-headless) or run `make java`.")
    import owlready2
    from owlready2 import World, sync_reasoner_hermit

    with _java(owlready2), tempfile.TemporaryDirectory(prefix="dorsum-hermit-") as tmp:
        nt = Path(tmp) / "kb.nt"
        without_imports(graph).serialize(nt, format="nt", encoding="utf-8")
        world = World()
        onto = world.get_ontology("https://w3id.org/dorsum/ontology")
        with open(nt, "rb") as fh:
            onto.load(fileobj=fh, format="ntriples")
        try:
            with onto:
                sync_reasoner_hermit(world, infer_property_values=False, debug=0)
            yield world
        finally:
            world.close()


def run_hermit(graph: Graph) -> HermitReport:
    import owlready2

    try:
        with reasoned_world(graph) as world:
            return HermitReport(True, sorted(c.iri for c in world.inconsistent_classes()
                                             if c.iri != "http://www.w3.org/2002/07/owl#Nothing"))
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        return HermitReport(False, [], f"the knowledge base is inconsistent: {exc}".strip())
    except owlready2.OwlReadyJavaError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if "Exception" in ln or "HermiT" in ln]
        return HermitReport(False, [], "HermiT could not reason over the knowledge base: "
                            + (" ".join(lines[:3]) or str(exc)[:400]))


def hermit_types(graph: Graph, individuals: list[str]) -> dict[str, set[str]]:
    """Every class HermiT infers for the given individuals (direct and indirect), by IRI.

    Used by tests to show that dorsum's compiled OWL rules classify exactly as HermiT does.
    """
    with reasoned_world(graph) as world:
        out = {}
        for iri in individuals:
            ind = world[iri]
            out[iri] = {c.iri for c in ind.INDIRECT_is_a if hasattr(c, "iri")} if ind is not None else set()
        return out
