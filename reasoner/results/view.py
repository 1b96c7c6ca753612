"""The JSON view of a case's result: what a clinician-informatician reads, with its provenance.

It reads the case and what was derived, and the case's rule firings (the ones its PROV-O is
written from); which conclusion keys it shows, and how, is the knowledge base's declaration
(ontology/results.ttl, kb/result_kinds.py). Conclusions of one kind about the same concept (two
rules recommending the same action) are shown once: with the shortest within_days, the rule that
set it, and the statements, references and findings of all of them. Lists are sorted by slug and
keys come in a fixed order, so the same case always gives the same bytes.
"""

from __future__ import annotations

import json

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from .. import DISCLAIMER
from ..namespaces import DORSUM, PROV
from ..terms import json_number, to_rdflib
from .provenance import SOURCE_RELATIONS

SUPPORT_RELATIONS = tuple(r for r in SOURCE_RELATIONS if r != DORSUM.conflictsWith)


class ResultView:
    def __init__(self, kb, ctx):
        self.kb = kb
        self.ctx = ctx
        self.kbg = kb.graph
        self._memo: dict = {}  # knowledge-base lookups (the KB never changes under a view)

    def _cached(self, key, compute):
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = compute()
        return hit

    # -------------------------------------------------------------- small lookups
    def slug(self, iri) -> str:
        return self._cached(("slug", iri), lambda: self._slug(iri))

    def _slug(self, iri) -> str:
        n = self.kbg.value(iri, SKOS.notation)
        return str(n) if n is not None else self.ctx.slug(str(iri))

    def label(self, iri) -> str:
        return self._cached(("label", iri), lambda: self._label(iri))

    def _label(self, iri) -> str:
        labels = sorted(self.kbg.objects(iri, RDFS.label), key=lambda l: (l.language != "en", str(l)))
        return str(labels[0]) if labels else self.slug(iri)

    # -------------------------------------------------------------- provenance of one conclusion
    def rule_of(self, g: Graph, c) -> str | None:
        """The rule a conclusion of a result graph came from, read from its PROV-O (the report
        reads a result graph; the JSON view has the firings)."""
        act = g.value(c, PROV.wasGeneratedBy)
        assoc = g.value(act, PROV.qualifiedAssociation) if act is not None else None
        plan = g.value(assoc, PROV.hadPlan) if assoc is not None else None
        return str(plan) if plan is not None else None

    def because(self, g: Graph, c, fired: dict, seen=None) -> set[str]:
        """The input findings a conclusion rests on, through its premises, and its derived values in words."""
        seen = seen if seen is not None else set()
        if c in seen:
            return set()
        seen.add(c)
        f = fired.get(c)
        out = {x.label for x in f.findings} if f is not None else set()
        for p in (f.premises if f is not None else ()):
            p = to_rdflib(p)
            if (p, DORSUM.aboutCase, None) in g:
                out |= self.because(g, p, fired, seen)
        for t in g.objects(c, DORSUM.becauseText):
            out.add(str(t))
        return out

    def references_of(self, statements) -> list[dict]:
        key = ("references", tuple(statements))
        return [dict(r) for r in self._cached(key, lambda: self._references_of(statements))]

    def _references_of(self, statements) -> list[dict]:
        """The works that support the statements: a reference a statement conflicts with is shown
        under conflicts, never as support."""
        refs = {}
        for s in statements:
            for rel in SUPPORT_RELATIONS:
                for r in self.kbg.objects(URIRef(s), rel):
                    cit = self.kbg.value(r, DCTERMS.bibliographicCitation)
                    refs[str(r)] = str(cit) if cit is not None else self.label(r)
        return [{"id": k, "citation": refs[k]} for k in sorted(refs)]

    def evidence_status(self, statements) -> str:
        """verified when every statement behind a conclusion is verified against a primary source."""
        return self._cached(("evidence", tuple(statements)), lambda: "verified" if statements and all(
            self.kbg.value(URIRef(s), DORSUM.verification) == DORSUM.verified for s in statements) else "unverified")

    def conflicts_of(self, statements) -> list[dict]:
        """The recorded article-versus-source conflicts among the statements a conclusion cites or
        departs from."""
        key = ("conflicts", tuple(statements))
        return [dict(c) for c in self._cached(key, lambda: [
            {"statement": s, "note": str(note)} for s in statements
            for note in [self.kbg.value(URIRef(s), DORSUM.conflictNote)] if note is not None])]

    def merged(self, g: Graph, fired: dict, conclusions: list) -> dict:
        """Provenance of one or more conclusions about the same thing, and the deciding one."""
        def days(c):
            d = g.value(c, DORSUM.withinDays)
            return json_number(d) if d is not None else None

        def rule(c):
            f = fired.get(c)
            return f.rule if f is not None else None
        ranked = sorted(conclusions, key=lambda c: (days(c) is None, days(c) if days(c) is not None else 0,
                                                    rule(c) or "", str(c)))
        deciding = ranked[0]
        rules = sorted({r for r in (rule(c) for c in conclusions) if r})
        statements = sorted({str(to_rdflib(s)) for c in conclusions if c in fired for s in fired[c].statements})
        departs = sorted({str(to_rdflib(s)) for c in conclusions if c in fired for s in fired[c].departs})
        because = sorted(set().union(*(self.because(g, c, fired) for c in conclusions)))
        out = {"within_days": days(deciding)}
        if out["within_days"] is not None:
            target = g.value(deciding, DORSUM.timeTarget)
            out["within_days_label"] = self.label(target) if target is not None else None
        strength = g.value(deciding, DORSUM.strength)
        if strength is None:
            strength = next((g.value(c, DORSUM.strength) for c in ranked if g.value(c, DORSUM.strength) is not None), None)
        if strength is not None:
            out["strength"] = self.slug(strength)
        out["rule"] = rule(deciding)
        out["rules"] = rules
        out["statements"] = statements
        out["references"] = self.references_of(statements)
        out["because"] = because
        # the pathway the rule named in its conclusion, else the rule's own
        stated = fired[deciding].pathway if deciding in fired else None
        pathway = to_rdflib(stated) if stated is not None else g.value(deciding, DORSUM.pathway)
        out["pathway"] = self.slug(pathway) if pathway is not None else None
        out["evidence_status"] = self.evidence_status(statements)
        out["conflicts"] = self.conflicts_of(sorted(set(statements) | set(departs)))
        return out

    # -------------------------------------------------------------- the whole result
    def classified(self, case_id: str, case_iri: str, g: Graph, firings: list) -> dict:
        """The JSON result of a classified case: from its graph (the case and what was derived) and
        its rule firings (results/provenance.py), the same firings its PROV-O is written from."""
        case = URIRef(case_iri)
        fired = {to_rdflib(f.conclusion): f for f in firings}

        def about(cls):
            return sorted((c for c in g.subjects(DORSUM.aboutCase, case) if (c, RDF.type, cls) in g), key=str)

        shown = {kind.json_key: (self._single(g, fired, kind, about(kind.cls)) if kind.single
                                 else self._items(g, fired, kind, about(kind.cls)))
                 for kind in self.kb.result_kinds.shown}
        patient = g.value(case, DORSUM.patient)
        age_groups = sorted(self.slug(t) for t in g.objects(patient, RDF.type)
                            if (t, SKOS.inScheme, DORSUM["scheme-age-group"]) in self.kbg) if patient is not None else []
        pathways = sorted(self.slug(p) for p in g.objects(case, DORSUM.entersPathway))
        return self._envelope(case_id, "classified", [], age_groups, pathways, shown)

    def _single(self, g: Graph, fired: dict, kind, conclusions: list) -> dict | None:
        """The conclusions whose value ranks highest, as one item (or None)."""
        if not conclusions:
            return None
        rank = lambda c: int(self.kbg.value(g.value(c, kind.value), kind.ranked_by))  # noqa: E731
        top = max(rank(c) for c in conclusions)
        at_top = [c for c in conclusions if rank(c) == top]
        value = g.value(at_top[0], kind.value)
        item = {kind.item_key: self.slug(value), "label": self.label(value)}
        item.update(self._merged_shown(g, fired, kind, at_top))
        return item

    def _items(self, g: Graph, fired: dict, kind, conclusions: list) -> list[dict]:
        """One item per value (several conclusions about it merged), sorted by slug or JSON path."""
        groups: dict = {}
        for c in conclusions:
            value = g.value(c, kind.value)
            name = (str(self.kbg.value(value, DORSUM.jsonPath) or self.slug(value)) if kind.named_by_path
                    else self.slug(value))
            groups.setdefault(name, (value, []))[1].append(c)
        items = []
        for name in sorted(groups):
            value, cs = groups[name]
            if kind.named_by_path:
                whys = sorted({str(g.value(c, DORSUM.why)) for c in cs if g.value(c, DORSUM.why) is not None})
                item = {kind.item_key: name, "why": "; ".join(whys)}
            else:
                item = {kind.item_key: name, "label": self.label(value)}
            item.update(self._merged_shown(g, fired, kind, cs))
            items.append(item)
        return items

    def _merged_shown(self, g: Graph, fired: dict, kind, conclusions: list) -> dict:
        m = self.merged(g, fired, conclusions)
        if not kind.timed:
            m.pop("within_days", None)
            m.pop("within_days_label", None)
        return m

    def invalid(self, case_id: str, errors: list[dict]) -> dict:
        shown = {k.json_key: None if k.single else [] for k in self.kb.result_kinds.shown}
        return self._envelope(case_id, "invalid", errors, [], [], shown)

    def _envelope(self, case_id, status, errors, age_groups, pathways, shown: dict) -> dict:
        return {
            "case": case_id,
            "status": status,
            "errors": errors,
            "age_groups": age_groups,
            "pathways": list(pathways),
            **shown,
            "knowledge_base": {"version": self.kb.version, "sha256": self.kb.sha256},
            "disclaimer": DISCLAIMER,
        }


def dumps(result: dict, pretty: bool = True) -> str:
    """The JSON text of a result. A lone surrogate (a string that is not valid Unicode, which intake
    never lets through but a writer must survive) is written as its JSON escape, so the text is
    always valid UTF-8."""
    from ..case.intake import printable

    if pretty:
        return printable(json.dumps(result, indent=2, ensure_ascii=False))
    return printable(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
