"""The workbench page without a browser: the form is generated from the case shapes (a field added
to the shapes appears with no code change), the page loads nothing from another host, the
pathway diagrams and the rule catalogue are served, and POST /classify?proof=true answers what
`dorsum explain --format json` prints. The browser tests (tests/browser/) drive the same page."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from reasoner import DISCLAIMER

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:7878"
ADULT = json.loads((ROOT / "examples" / "growing-lump-adult.json").read_text())


class Page(HTMLParser):
    """The page's fields (by name), options, links and sources, read from its DOM."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, dict] = {}
        self.options: dict[str, list[str]] = {}
        self.selected: dict[str, str] = {}
        self.urls: list[str] = []
        self.error_slots: set[str] = set()
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for attr in ("src", "href", "action"):
            if a.get(attr) is not None:
                self.urls.append(a[attr])
        if tag in ("input", "select") and a.get("name"):
            self.fields.setdefault(a["name"], a)
            if tag == "input" and a.get("type") == "checkbox":
                self.options.setdefault(a["name"], []).append(a["value"])
        if tag == "select":
            self._select = a.get("name")
        if tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(a.get("value"))
            if "selected" in a:
                self.selected[self._select] = a.get("value")
        if a.get("data-error-for") is not None:
            self.error_slots.add(a["data-error-for"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from reasoner.serve.app import Settings, create_app
    from reasoner.store.case_store import open_store

    store = tmp_path_factory.mktemp("wb") / "store"
    open_store(store, create=True).flush()
    with TestClient(create_app(Settings(store=str(store), kb_root=str(ROOT), workers=1)), base_url=BASE) as c:
        yield c


def test_the_form_has_one_field_per_case_shape_property_named_by_json_path(client, kb):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = parse(r.text)
    for name in ("id", "patient.age_years", "lump.size_cm", "lump.growth", "skin_markers", "imaging.ultrasound",
                 "dates.first_seen", "lump.pigmented_lesion.diameter_mm"):
        assert name in page.fields, name
    # every property shape of the case shapes is a field (list members and nested objects aside)
    from reasoner.namespaces import SH
    from rdflib import URIRef
    paths = {p for p in kb.case_shapes.objects(None, SH.path) if isinstance(p, URIRef)}
    nested = set(kb.case_shapes.objects(None, SH.targetObjectsOf))
    assert len(page.fields) == len(paths - nested)
    assert page.fields["lump.size_cm"]["type"] == "number" and page.fields["lump.size_cm"]["max"] == "100.0"
    assert page.fields["dates.first_seen"]["type"] == "date"
    # enumerations from the knowledge base; unknown is every finding's default (sent as an absent key)
    assert set(page.options["lump.growth"]) == {"", "stable", "increasing", "rapid", "unknown"}
    assert page.selected["lump.growth"] == "" and page.selected["lump.mobile"] == ""
    assert "dermal-sinus" in page.options["skin_markers"]
    assert "(cm)" in r.text and "(mm)" in r.text  # units from dorsum:inputUnit
    assert {"lump.size_cm", "patient", ""} <= page.error_slots
    assert r.text.count(DISCLAIMER) == 1


def test_a_property_added_to_the_shapes_appears_in_the_form_with_no_code_change(kb_copy):
    from reasoner.case.context import load_context
    from reasoner.kb.knowledge_base import load_kb
    from reasoner.serve.workbench import workbench_html

    onto = kb_copy / "ontology" / "findings.ttl"
    onto.write_text(onto.read_text() + """
dorsum:transilluminates a owl:DatatypeProperty , owl:FunctionalProperty ;
    rdfs:label "transilluminates"@en ;
    skos:definition "Whether light shines through the lump (test field)."@en ;
    rdfs:domain dorsum:Lump ;
    dorsum:jsonPath "lump.transilluminates" .
""")
    shapes = kb_copy / "shapes" / "case-input.ttl"
    text = shapes.read_text()
    anchor = "sh:property [ sh:path dorsum:midline ;"
    shapes.write_text(text.replace(anchor, "sh:property [ sh:path dorsum:transilluminates ; sh:maxCount 1 ; "
                                           "sh:datatype xsd:boolean ] ;\n    " + anchor, 1))
    ctx_file = kb_copy / "context" / "case.context.jsonld"
    ctx = json.loads(ctx_file.read_text())
    ctx["@context"]["transilluminates"] = {"@id": "dorsum:transilluminates"}
    ctx_file.write_text(json.dumps(ctx, indent=2))

    kb = load_kb(kb_copy)
    page = parse(workbench_html(kb, load_context(kb.paths.context)))
    assert page.fields["lump.transilluminates"]["data-kind"] == "boolean"
    assert set(page.options["lump.transilluminates"]) == {"", "true", "false"}
    assert "Whether light shines through the lump" in workbench_html(kb, load_context(kb.paths.context))


def test_nothing_on_the_pages_loads_from_another_host(client):
    for path in ("/", "/rules.html"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        for url in parse(r.text).urls:
            parts = urlsplit(url)
            assert not parts.scheme or f"{parts.scheme}://{parts.netloc}" == BASE, (path, url)
            assert not url.startswith("//"), (path, url)


def test_each_pathway_has_a_diagram_with_ids_the_page_highlights(client, kb):
    from rdflib.namespace import RDF
    from reasoner.namespaces import DORSUM

    diagrams = client.get("/api/pathways").json()
    declared = {str(p) for p in kb.graph.subjects(RDF.type, DORSUM.CarePathway)}
    assert len(diagrams) >= len(declared) >= 5
    adult = next(d for d in diagrams if d["slug"] == "adult-soft-tissue")
    assert 'id="rule-ng12-adult-growing-lump-ultrasound"' in adult["dot"]
    assert "ng12-adult-growing-lump-ultrasound" in adult["rules"]


def test_classify_with_proof_is_the_explain_json_and_without_it_unchanged(client, classifier, tmp_path):
    from reasoner.results.explained import explained

    headers = {"Origin": BASE}
    plain = client.post("/classify", json=ADULT, headers=headers)
    with_proof = client.post("/classify?proof=true", json=ADULT, headers=headers)
    assert plain.status_code == with_proof.status_code == 200
    assert "proof" not in plain.json()
    f = tmp_path / "adult.json"
    f.write_text(json.dumps(ADULT))
    [result] = classifier.classify_paths([f])
    assert with_proof.json() == json.loads(json.dumps(explained(result, classifier.view)))
    bad = client.post("/classify?proof=true", json={"id": "x", "patient": {"age_years": 40}, "lump": {"size_cm": -1}},
                      headers=headers)
    assert bad.status_code == 422 and bad.json()["proof"] is None
    assert bad.json()["errors"][0]["path"] == "lump.size_cm"


def test_the_rule_catalogue_is_served(client):
    r = client.get("/rules.html")
    assert r.status_code == 200 and 'id="rule-ng12-adult-growing-lump-ultrasound"' in r.text
