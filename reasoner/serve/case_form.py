"""The workbench's case form, generated from the case shapes (shapes/case-*.ttl), so a property a
knowledge engineer adds to the shapes appears in the form with no code change.

One field per property shape of the shapes that target cases, grouped as the flat JSON form is:
a property that other shapes target the objects of (`sh:targetObjectsOf`) is a group of its own
(patient, lump, imaging, dates; a lump's pigmented lesion inside the lump). Each field's `name` is
its JSON path, from the ontology's `dorsum:jsonPath` or else the case context's key. What a field
offers comes from its constraints: `sh:in`, or the instances of `sh:class` that the key's
`@vocab` can name (an enumeration); `sh:datatype` (yes/no, a date, text); a number (a `sh:node`
whose `sh:or` allows only numeric datatypes, or a numeric bound); `sh:minInclusive` and friends
(the range); `sh:maxCount 1` or not (one choice or several); `sh:minCount` (required). Its label
is `sh:name`, else the property's `rdfs:label`; its help `sh:description`, else the property's
`skos:definition`, else the shape's message; its unit `dorsum:inputUnit` (a UCUM code). Fields
come in the order the case context defines its keys (the JSON form's order), or `sh:order`.

"Unknown" is every finding's default: the page sends a field left unknown as an absent key.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.collection import Collection

from ..namespaces import DORSUM, SH

NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.nonNegativeInteger}
KINDS = {XSD.boolean: "boolean", XSD.date: "date", XSD.string: "text"}
BOUNDS = (("minimum", SH.minInclusive), ("maximum", SH.maxInclusive),
          ("exclusive_minimum", SH.minExclusive), ("exclusive_maximum", SH.maxExclusive))


def _text(g: Graph, node, *props) -> str | None:
    for p in props:
        values = sorted(g.objects(node, p), key=lambda v: (getattr(v, "language", None) not in (None, "en"), str(v)))
        if values:
            return str(values[0])
    return None


def _number(v):
    return float(v.toPython()) if isinstance(v, Literal) else None


class FormBuilder:
    def __init__(self, kb, ctx):
        self.shapes, self.onto = kb.case_shapes, kb.graph
        self.keys = ctx.key_of_property
        self.order = {key: i for i, key in enumerate(ctx.ordered_terms)}

    def property_shapes(self, targets: list) -> dict:
        """path IRI -> its property shapes, over the node shapes given."""
        out: dict = {}
        for node in targets:
            for ps in self.shapes.objects(node, SH.property):
                path = self.shapes.value(ps, SH.path)
                if isinstance(path, URIRef):
                    out.setdefault(path, []).append(ps)
        return out

    def list_item_shapes(self, targets: list) -> dict:
        """list property IRI -> the shapes of its members (a path `( p [zeroOrMore rdf:rest] rdf:first )`)."""
        out: dict = {}
        for node in targets:
            for ps in self.shapes.objects(node, SH.property):
                path = self.shapes.value(ps, SH.path)
                if isinstance(path, BNode) and (path, RDF.first, None) in self.shapes:
                    steps = list(Collection(self.shapes, path))
                    if steps and isinstance(steps[0], URIRef) and steps[-1] == RDF.first:
                        out.setdefault(steps[0], []).append(ps)
        return out

    def value(self, shapes: list, prop):
        for ps in shapes:
            v = self.shapes.value(ps, prop)
            if v is not None:
                return v
        return None

    def options(self, shapes: list, term: dict) -> list[dict]:
        listed = self.value(shapes, SH["in"])
        if listed is not None:
            return [{"value": str(v), "label": str(v)} for v in Collection(self.shapes, listed)]
        cls = self.value(shapes, SH["class"])
        vocab = (term.get("@context") or {}).get("@vocab") if isinstance(term.get("@context"), dict) else None
        if cls is None or vocab is None:
            return []
        members = {x for x in self.onto.transitive_subjects(RDFS.subClassOf, cls)
                   for x in self.onto.subjects(RDF.type, x)}
        out = [{"value": str(x)[len(vocab):], "label": _text(self.onto, x, SKOS.prefLabel, RDFS.label) or str(x)[len(vocab):]}
               for x in members if isinstance(x, URIRef) and str(x).startswith(vocab)]
        return sorted(out, key=lambda o: o["value"])

    def is_number(self, shapes: list) -> bool:
        if self.value(shapes, SH.datatype) in NUMERIC:
            return True
        node = self.value(shapes, SH.node)
        alternatives = self.shapes.value(node, SH["or"]) if node is not None else None
        if alternatives is not None:
            types = [self.shapes.value(a, SH.datatype) for a in Collection(self.shapes, alternatives)]
            return bool(types) and all(t in NUMERIC for t in types)
        return any(self.value(shapes, p) is not None for _, p in BOUNDS)

    def field(self, prop, shapes: list, parent: str, item_shapes: list) -> dict:
        key, term = self.keys.get(str(prop), (str(prop).rsplit("/", 1)[-1], {}))
        path = _text(self.onto, prop, DORSUM.jsonPath) or (f"{parent}.{key}" if parent else key)
        several = term.get("@container") == "@list" or _number(self.value(shapes, SH.maxCount)) != 1
        options = self.options(item_shapes or shapes, term)
        if options:
            kind = "choices" if several else "choice"
        elif self.is_number(shapes):
            kind = "number"
        else:
            kind = KINDS.get(self.value(shapes, SH.datatype), "text")
        f = {"name": path, "key": key, "kind": kind,
             "label": _text(self.shapes, shapes[0], SH.name) or _text(self.onto, prop, RDFS.label) or key,
             "help": (_text(self.shapes, shapes[0], SH.description) or _text(self.onto, prop, SKOS.definition, RDFS.comment)
                      or _text(self.shapes, shapes[0], SH.message) or ""),
             "required": (_number(self.value(shapes, SH.minCount)) or 0) >= 1,
             "unit": _text(self.shapes, shapes[0], DORSUM.inputUnit),
             "options": options}
        for name, p in BOUNDS:
            f[name] = _number(self.value(shapes, p))
        order = _number(self.value(shapes, SH.order))
        f["order"] = order if order is not None else self.order.get(key, len(self.order))
        return f

    def group(self, name: str, label: str, targets: list, seen: frozenset) -> dict:
        fields, groups = [], []
        items = self.list_item_shapes(targets)
        for prop, shapes in self.property_shapes(targets).items():
            inner = sorted(self.shapes.subjects(SH.targetObjectsOf, prop), key=str)
            key = self.keys.get(str(prop), (str(prop).rsplit("/", 1)[-1], {}))[0]
            if inner and prop not in seen:
                path = _text(self.onto, prop, DORSUM.jsonPath) or (f"{name}.{key}" if name else key)
                g = self.group(path, _text(self.shapes, shapes[0], SH.name) or _text(self.onto, prop, RDFS.label) or key,
                               inner, seen | {prop})
                g["order"] = self.order.get(key, len(self.order))
                g["required"] = (_number(self.value(shapes, SH.minCount)) or 0) >= 1
                groups.append(g)
            elif not inner:
                fields.append(self.field(prop, shapes, name, items.get(prop, [])))
        fields.sort(key=lambda f: (f["order"], f["name"]))
        groups.sort(key=lambda g: (g["order"], g["name"]))
        return {"name": name, "label": label, "fields": fields, "groups": groups}


def case_form(kb, ctx) -> dict:
    """The form as data: the top group (the case's own keys) with its nested groups."""
    b = FormBuilder(kb, ctx)
    roots = sorted(b.shapes.subjects(SH.targetClass, DORSUM.Case), key=str)
    return b.group("", "case", roots, frozenset())
