"""The case store: load, reload, invalid cases, interrupted loads, and the saved analytics queries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from conftest import ROOT, VIGNETTES
from reasoner.cli import main
from rdflib import Graph

from reasoner.namespaces import DORSUM
from reasoner.store.case_store import case_graph_iri


def corpus(tmp_path, n_invalid=True):
    """The vignette cases as JSON Lines, with dates on some, one invalid and one malformed line."""
    lines = []
    for i, p in enumerate(VIGNETTES):
        case = json.loads(p.read_text())
        if i % 3 == 0:
            case["dates"] = {"first_seen": "2026-03-02", "ultrasound": "2026-03-10" if i % 2 else "2026-03-20",
                             "referral": "2026-03-03"}
        lines.append(json.dumps(case))
    if n_invalid:
        lines.insert(5, json.dumps({"id": "invalid-size", "patient": {"age_years": 40}, "lump": {"size_cm": -1}}))
        lines.insert(9, '{"id": "malformed", ')
    f = tmp_path / "corpus.jsonl"
    f.write_text("\n".join(lines) + "\n")
    return f


def load(src, store):
    return CliRunner().invoke(main, ["load", str(src), "--store", str(store), "--chunk", "7"])


def graphs(store_dir):
    from reasoner.store.case_store import open_store
    s = open_store(store_dir, read_only=True)
    out = {}
    for g in s.named_graphs():
        quads = sorted(str(q) for q in s.quads_for_pattern(None, None, None, g))
        out[g.value] = quads
    del s
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("store")
    src = corpus(tmp)
    res = load(src, tmp / "store")
    assert res.exit_code == 1, res.output  # one invalid and one malformed case
    return src, tmp / "store", res


def test_every_case_is_stored_with_invalid_ones(loaded):
    src, store, res = loaded
    n = len(src.read_text().splitlines())
    assert f"loaded {n} cases" in res.output and "2 invalid" in res.output
    g = graphs(store)
    assert len([k for k in g if k.startswith("https://w3id.org/dorsum/graph/case/")]) == n
    assert case_graph_iri("invalid-size") in g
    assert any("malformed JSON" in q for q in g[case_graph_iri(f"{src}:10")])


def test_loading_twice_gives_the_same_store(loaded, tmp_path):
    src, store, _ = loaded
    before = graphs(store)
    assert load(src, store).exit_code == 1
    assert graphs(store) == before


def test_loading_with_worker_processes_gives_the_same_store(loaded, tmp_path):
    """`--jobs 2` classifies chunks in two worker processes: every case is stored, invalid and
    malformed ones included, a repeated id is an error on the later case as with one process, and
    the store and the run manifest's output hash are those of a one-process load."""
    src, _, _ = loaded
    lines = src.read_text().splitlines()
    repeats = []
    for i in (0, 2):
        case = json.loads(lines[i])
        case["lump"] = {"size_cm": 1}
        repeats.append(case)
    # one repeat in the same chunk as its first case, one in a later chunk
    all_lines = lines[:1] + [json.dumps(repeats[0])] + lines[1:] + [json.dumps(repeats[1])]
    both = tmp_path / "with-repeat.jsonl"
    both.write_text("\n".join(all_lines) + "\n")
    runs = {}
    for jobs in ("1", "2"):
        store, manifest = tmp_path / f"store-{jobs}", tmp_path / f"manifest-{jobs}.json"
        res = CliRunner().invoke(main, ["load", str(both), "--store", str(store), "--chunk", "7", "--jobs", jobs,
                                        "--manifest", str(manifest)])
        assert res.exit_code == 1, res.output
        assert f"loaded {len(all_lines)} cases" in res.output and "4 invalid" in res.output, res.output
        cases = {g: quads for g, quads in graphs(store).items() if g.startswith(case_graph_iri(""))}
        runs[jobs] = cases, json.loads(manifest.read_text())  # (the KB graph's blank nodes differ by store)
    assert runs["1"][0] == runs["2"][0]
    assert runs["1"][1]["output"]["sha256"] == runs["2"][1]["output"]["sha256"]
    assert runs["1"][1]["cases"] == runs["2"][1]["cases"]
    for case in repeats:  # the first case with the id keeps the graph; the repeat is reported invalid
        for jobs in ("1", "2"):
            assert not any("is already used by" in q for q in runs[jobs][0][case_graph_iri(case["id"])])
            assert runs[jobs][1]["cases"][case["id"]]["status"] == "classified"
            assert runs[jobs][1]["cases"][case["id"] + "#2"]["status"] == "invalid"


def test_jobs_must_be_a_number_of_processes(tmp_path):
    res = CliRunner().invoke(main, ["load", str(VIGNETTES[0]), "--store", str(tmp_path / "s"), "--jobs", "zero"])
    assert res.exit_code == 2 and "--jobs" in res.output and "'zero'" in res.output and "auto" in res.output


def test_batch_conclusions_equal_single_case_classify(loaded, classifier):
    """Every vignette's stored graph is exactly its graph in the store's form (one case classified
    alone, results/stored.py): batches and chunks change nothing."""
    src, store, _ = loaded
    stored = graphs(store)
    for ci in list(classifier.inputs([src]))[:60:6]:
        r = classifier.classify_many([ci], view=False)[0]
        mem = ox.Store()  # compare as Oxigraph stores values (it writes numeric literals canonically)
        g = ox.NamedNode(case_graph_iri(r.case_id))
        mem.extend(ox.Quad(t.subject, t.predicate, t.object, g) for t in r.ox_triples())
        expected = sorted(str(q) for q in mem.quads_for_pattern(None, None, None, g))
        assert stored[case_graph_iri(r.case_id)] == expected, r.case_id


def _kb_and_case(store_dir, case_id) -> Graph:
    """A stored case graph with the store's KB graph, as one rdflib graph."""
    from reasoner.namespaces import KB_GRAPH
    from reasoner.store.case_store import open_store
    s = open_store(store_dir, read_only=True)
    g = Graph()
    for name in (KB_GRAPH, case_graph_iri(case_id)):
        nq = s.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name))
        g.parse(data=nq.decode("utf-8"), format="nt")
    del s
    return g


STORED_CASES = ["adult-growing-lump", "child-neonatal-onset", "adult-growth-unknown", "child-5-years-hairy-patch"]


@pytest.mark.parametrize("case_id", STORED_CASES)
def test_a_stored_case_says_what_its_result_graph_says(loaded, classifier, case_id):
    """The store's form leaves out only what the KB graph holds or the ontology entails: with the
    KB graph and RDFS entailment, a stored case has every type of its result graph, each
    conclusion's rule (through its firing's association), what each firing used, each becauseOf
    (as an input finding, or kept), each finding's path, and its value as the case's own triple;
    and it satisfies the result shapes."""
    import owlrl
    from pyshacl import validate
    from reasoner.namespaces import PROV
    from rdflib.namespace import OWL, RDF

    src, store, _ = loaded
    ci = next(c for c in classifier.inputs([src]) if c.case_id == case_id)
    full = classifier.classify_many([ci])[0].graph
    g = _kb_and_case(store, case_id)
    conforms, _, text = validate(g, shacl_graph=classifier.kb.result_shapes, inference="rdfs")
    assert conforms, text
    for f in full.subjects(RDF.type, DORSUM.InputFinding):  # a finding's value: the case's own triple
        path = full.value(f, DORSUM.findingPath)
        assert set(g.objects(f, DORSUM.findingPath)) == {path}
        prop = classifier.kb.graph.value(None, DORSUM.jsonPath, path)
        given = set(g.objects(None, prop)) | {x for lst in g.objects(None, prop) for x in g.items(lst)}
        assert set(full.objects(f, PROV.value)) <= given, (f, prop)
    owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(g)
    case_ns = "https://w3id.org/dorsum/case/"
    for s_, o in full.subject_objects(RDF.type):
        if str(s_).startswith(case_ns) and "/activity" not in str(s_) and o != OWL.Thing:  # OWL entails that one
            assert (s_, RDF.type, o) in g, (s_, o)
    for c, act in full.subject_objects(PROV.wasGeneratedBy):
        mine = g.value(c, PROV.wasGeneratedBy)
        assert classifier.view.rule_of(full, c) == classifier.view.rule_of(g, c)
        assert set(full.objects(act, PROV.used)) == set(g.objects(mine, PROV.used)), c
        for p in full.objects(c, DORSUM.becauseOf):
            paths = {str(g.value(f, DORSUM.findingPath)) for f in g.objects(mine, PROV.used)}
            assert (c, DORSUM.becauseOf, p) in g or str(classifier.kb.graph.value(p, DORSUM.jsonPath)) in paths, (c, p)


def query(store, name, fmt="json"):
    res = CliRunner().invoke(main, ["query", "--name", name, "--store", str(store), "--format", fmt])
    assert res.exit_code == 0, res.output
    return res.output


def rows(store, name):
    data = json.loads(query(store, name))
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.fixture(scope="module")
def results(loaded, classifier):
    src, _, _ = loaded
    return [r.json for r in classifier.classify_paths([src])]


def test_cases_by_urgency(loaded, results):
    expected = Counter(r["urgency"]["level"] if r["status"] == "classified" else "invalid" for r in results)
    got = {r["level"]: int(r["cases"]) for r in rows(loaded[1], "cases-by-urgency")}
    assert got == dict(expected)


def test_red_flag_frequency(loaded, results):
    expected = Counter(f["factor"] for r in results for f in r["risk_factors"])
    got = {r["factor"]: int(r["cases"]) for r in rows(loaded[1], "red-flag-frequency")}
    assert got == dict(expected)


def test_actions_by_age_group(loaded, results):
    expected = Counter((g, a["action"]) for r in results for g in r["age_groups"] for a in r["actions"])
    got = {(r["age_group"], r["action"]): int(r["cases"]) for r in rows(loaded[1], "actions-by-age-group")}
    assert got == dict(expected)


def test_guideline_adherence(loaded, results, tmp_path):
    src, store, _ = loaded
    cases = {json.loads(l).get("id"): json.loads(l) for l in src.read_text().splitlines() if l.endswith("}") and l.count("{") == l.count("}")}
    from datetime import date
    expected = set()
    for r in results:
        dates = cases.get(r["case"], {}).get("dates")
        if r["status"] != "classified" or not dates:
            continue
        for action, step, key in (("ultrasound-soft-tissue", "ultrasound", "ultrasound"),
                                  ("suspected-cancer-pathway-referral", "referral", "referral")):
            a = next((x for x in r["actions"] if x["action"] == action and x["within_days"] is not None), None)
            if a is None:
                continue
            days = (date.fromisoformat(dates[key]) - date.fromisoformat(dates["first_seen"])).days
            expected.add((r["case"], step, a["within_days"], days, "breached" if days > a["within_days"] else "met"))
    got = {(r["case"], r["step"], int(r["target_days"]), int(r["days"]), r["status"]) for r in rows(store, "guideline-adherence")}
    assert expected and got == expected
    assert any(s == "breached" for *_, s in got) and any(s == "met" for *_, s in got)


def test_missing_findings_among_undetermined(loaded, results):
    expected = Counter(m["finding"] for r in results if r["status"] == "classified"
                       and r["urgency"]["level"] == "undetermined" for m in r["missing"])
    got = {r["finding"]: int(r["cases"]) for r in rows(loaded[1], "missing-findings-undetermined")}
    assert got == dict(expected)


def test_rule_and_statement_firing(loaded, results):
    expected = Counter()
    for r in results:
        conclusions = ([r["urgency"]] if r["urgency"] else []) + [x for k in ("actions", "warnings", "differential",
                                                                              "risk_factors", "missing") for x in r[k]]
        for rule in {rule for c in conclusions for rule in c["rules"]}:
            expected[rule] += 1
    got = {r["rule"]: int(r["cases"]) for r in rows(loaded[1], "rule-firing")}
    # the JSON view shows the urgency conclusions of the top level only; the store has all of them
    assert {k: v for k, v in got.items() if k in expected} == dict(expected)
    # conclusions per rule, counted through each conclusion's own generating activity
    reference = """SELECT ?rule (COUNT(DISTINCT ?c) AS ?n) WHERE {
        ?c prov:wasGeneratedBy ?act . ?act prov:qualifiedAssociation ?as . ?as prov:hadPlan ?rule } GROUP BY ?rule"""
    s = ox.Store.read_only(str(loaded[1]))
    from reasoner.namespaces import SPARQL_PREFIXES
    made = {r["rule"].value: int(r["n"].value) for r in s.query(SPARQL_PREFIXES + reference, use_default_graph_as_union=True)}
    del s
    assert {r["rule"]: int(r["conclusions"]) for r in rows(loaded[1], "rule-firing")} == made
    # a statement's cases: those where a conclusion cites it (the same count by a plain join) ...
    statements = {r["statement"]: int(r["cases"]) for r in rows(loaded[1], "statement-firing")}
    reference = """SELECT ?s (COUNT(DISTINCT ?case) AS ?n) WHERE { GRAPH ?g {
        ?c dorsum:supportedBy ?s ; dorsum:aboutCase ?case } } GROUP BY ?s"""
    s = ox.Store.read_only(str(loaded[1]))
    cited = {r["s"].value: int(r["n"].value) for r in s.query(SPARQL_PREFIXES + reference)}
    del s
    assert statements and statements == cited
    # ... and every statement a result shows counts its case
    per_statement = Counter()
    for r in results:
        conclusions = ([r["urgency"]] if r["urgency"] else []) + [x for k in ("actions", "warnings", "differential",
                                                                              "risk_factors", "missing") for x in r[k]]
        for st in {st for c in conclusions for st in c["statements"]}:
            per_statement[st] += 1
    assert all(statements.get(k, 0) >= v for k, v in per_statement.items())
    # only real firings: a red flag's statement counts exactly the cases where that flag was found,
    # or was asked for because it is unknown (never every case an ultrasound was recommended for)
    for factor, finding, stmt in (("neonatal-onset", "lump.onset", "stmt-red-flag-neonatal-onset"),
                                  ("pain", "lump.pain", "stmt-red-flag-pain")):
        fired = sum(1 for r in results if any(f["factor"] == factor for f in r["risk_factors"])
                    or any(m["finding"] == finding and "https://w3id.org/dorsum/" + stmt in m["statements"]
                           for m in r["missing"]))
        assert statements.get("https://w3id.org/dorsum/" + stmt, 0) == fired, stmt


@pytest.mark.parametrize("fmt,marker", [("table", "┃"), ("csv", "level,cases"), ("tsv", "?level\t?cases")])
def test_query_formats(loaded, fmt, marker):
    assert marker in query(loaded[1], "cases-by-urgency", fmt)


def test_query_file_and_list(loaded, tmp_path):
    q = tmp_path / "count.rq"
    q.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?r a dorsum:ClassificationResult }")
    res = CliRunner().invoke(main, ["query", str(q), "--store", str(loaded[1]), "--format", "csv"])
    assert res.exit_code == 0 and res.output.splitlines()[1].strip().isdigit()
    listed = CliRunner().invoke(main, ["query", "--list"]).output
    for name in ("cases-by-urgency", "red-flag-frequency", "actions-by-age-group", "guideline-adherence",
                 "missing-findings-undetermined", "rule-firing", "statement-firing"):
        assert name in listed


def test_interrupted_load_leaves_a_consistent_store_that_a_rerun_completes(tmp_path):
    n = 300
    lines = []
    for i in range(n):
        case = json.loads(VIGNETTES[i % len(VIGNETTES)].read_text())
        case["id"] = f"kill-{i:03d}"
        lines.append(json.dumps(case))
    src = tmp_path / "many.jsonl"
    src.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-m", "reasoner.cli", "load", str(src), "--store", str(store), "--chunk", "5"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start = time.time()

    def stored_cases() -> int:  # what a reader sees while the load writes
        try:
            s = ox.Store.read_only(str(store))
            # the writer compacts the store's files as it goes: a view may find one gone (then poll again)
            n_cases = sum(1 for g in s.named_graphs() if g.value.startswith("https://w3id.org/dorsum/graph/case/"))
        except (OSError, RuntimeError, ValueError):
            return 0
        del s
        return n_cases
    while proc.poll() is None and time.time() - start < 120 and stored_cases() == 0:  # some chunks committed, most not
        time.sleep(0.05)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the load finished before it could be interrupted"
    partial = graphs(store)
    case_graphs = {k: v for k, v in partial.items() if k.startswith("https://w3id.org/dorsum/graph/case/")}
    assert 0 < len(case_graphs) < n
    assert len(case_graphs) % 5 == 0  # whole chunks only
    for g, quads in case_graphs.items():  # every stored case is complete: it has its result node
        assert any("/result> <https://w3id.org/dorsum/resultStatus>" in q for q in quads), g
    assert load(src, store).exit_code == 0
    final = graphs(store)
    assert len([k for k in final if k.startswith("https://w3id.org/dorsum/graph/case/")]) == n


def test_batch_derivation_equals_single_case_derivation(classifier):
    """Engine.derive_batch on all vignettes at once gives each case exactly what derive gives it alone."""
    from reasoner.case.intake import flat_case
    cases = [flat_case(json.loads(p.read_text()), p.stem, classifier.ctx) for p in VIGNETTES]
    batch = classifier.engine.derive_batch([(ci.iri, ci.graph) for ci in cases])
    for ci in cases:
        single = classifier.engine.derive(ci.graph)
        assert set(batch[ci.iri].triples) == set(single.triples), ci.case_id
        assert batch[ci.iri].generated_by == single.generated_by, ci.case_id


def test_a_node_named_but_not_described_still_belongs_to_its_case(classifier):
    """`"lump": {}` names a lump with no findings; what inference says about it stays with the case."""
    from reasoner.case.intake import flat_case
    ci = flat_case({"id": "empty-lump", "patient": {"age_years": 40}, "lump": {}}, "x", classifier.ctx)
    r = classifier.classify_input(ci)
    assert r.status == "classified"
    assert {m["finding"] for m in r.json["missing"]} >= {"lump.size_cm", "lump.growth"}


def test_a_chunk_with_one_id_twice_stores_the_first(tmp_path):
    """Of two cases with one id in one input the first keeps the graph, as intake decides
    (case.ids: the later one is an error on that case); the store follows that decision."""
    from reasoner.store.case_store import StoredCase, open_store, write_chunk

    store = open_store(tmp_path / "store", create=True)
    triple = '<https://w3id.org/dorsum/case/x> <https://w3id.org/dorsum/note> "{}" .\n'
    write_chunk(store, [StoredCase("x", "classified", triple.format("first")),
                        StoredCase("x", "invalid", triple.format("later"))])
    stored = {q.object.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode(case_graph_iri("x")))}
    assert stored == {"first"}
