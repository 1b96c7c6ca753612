"""One index over a case's few triples (rdflib term tuples for the JSON view, pyoxigraph Triples for
provenance), without building an rdflib Graph (which costs far more a triple). Answers equal an
rdflib Graph's over the same triples (the view's output is tested byte-identical)."""

from __future__ import annotations


class TripleIndex:
    """The read operations the view and provenance need: value, objects, subjects, the subject-object
    pairs of a predicate, membership (an object of None: any object) and RDF list members."""

    def __init__(self, triples):
        self._sp: dict = {}
        self._po: dict = {}
        self._p: dict = {}
        self._all: set = set()
        for t in triples:
            if t in self._all:
                continue
            self._all.add(t)
            s, p, o = t
            self._sp.setdefault((s, p), []).append(o)
            self._po.setdefault((p, o), []).append(s)
            self._p.setdefault(p, []).append((s, o))

    def __contains__(self, triple) -> bool:
        s, p, o = triple
        if o is None:
            return bool(self._sp.get((s, p)))
        return triple in self._all

    def objects(self, s, p):
        return iter(self._sp.get((s, p), ()))

    def subjects(self, p, o):
        return iter(self._po.get((p, o), ()))

    def pairs(self, p) -> list:
        """The (subject, object) pairs of a predicate."""
        return self._p.get(p, [])

    def value(self, s, p):
        objs = self._sp.get((s, p))
        return objs[0] if objs else None

    def items(self, lst, first, rest) -> list:
        """Members of an RDF list, as rdflib's Graph.items / Collection reads them."""
        out, chain = [], {lst}
        while lst:
            item = self.value(lst, first)
            if item is not None:
                out.append(item)
            lst = self.value(lst, rest)
            if lst in chain:
                raise ValueError("List contains a recursive rdf:rest reference")
            chain.add(lst)
        return out
