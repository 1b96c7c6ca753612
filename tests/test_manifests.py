"""The rule test manifests (tests/manifests/): every entry's case gives exactly the conclusions the
entry lists, and exactly the rules it names by dt:rule fire behind them (closed world). The same
entries `dorsum test-rules` runs; the expectations were written from docs/clinical-behaviour.md
independently of the rules. One manifest per care pathway, named by the pathway's slug."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from conftest import ROOT
from reasoner.kb.manifests import ManifestError, fired_rules, read_manifest, run, validate_manifest
from reasoner.namespaces import RULE_BASE

MANIFEST = ROOT / "tests" / "manifests" / "manifest.ttl"
ENTRIES = read_manifest(MANIFEST, ROOT)


@pytest.fixture(scope="module")
def outcomes(classifier):
    return {o.entry.iri: o for o in run(ENTRIES, classifier)}


def test_the_suite_is_the_vignettes():
    # one source of truth: every case file under tests/vignettes/ is the action of exactly one entry
    for kind, directory in (("classification", "vignettes"), ("invalid", "invalid-cases")):
        actions = sorted(e.action.resolve() for e in ENTRIES if e.kind == kind)
        assert actions == sorted(p.resolve() for p in (ROOT / "tests" / directory).glob("*.json")), kind
    assert sum(e.kind == "classification" for e in ENTRIES) >= 50 and sum(e.kind == "invalid" for e in ENTRIES) >= 4


def test_manifests_satisfy_their_shapes(kb):
    assert validate_manifest(MANIFEST, kb, ROOT) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry(entry, outcomes):
    o = outcomes[entry.iri]
    assert o.passed, f"{entry.comment}\n" + "\n".join(o.problems)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "classification"],
                         ids=[e.name for e in ENTRIES if e.kind == "classification"])
def test_every_conclusion_carries_rule_statement_and_reference(entry, outcomes, kb):
    result = outcomes[entry.iri].result
    shown = kb.result_kinds.shown  # every conclusion key, as ontology/results.ttl declares them
    conclusions = [x for k in shown for x in ([result[k.json_key]] if k.single else result[k.json_key])]
    for c in conclusions:
        assert c["rule"].startswith("https://w3id.org/dorsum/rule/"), c
        assert c["statements"], c
        assert c["references"] and all(r["citation"] for r in c["references"]), c


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "classification"],
                         ids=[e.name for e in ENTRIES if e.kind == "classification"])
def test_the_rules_that_fire_are_the_rules_the_entry_names(entry, outcomes, kb):
    # closed world: a rule that starts or stops firing on the case fails the entry, named
    assert fired_rules(outcomes[entry.iri].result, kb.result_kinds) == list(entry.rules), entry.name


def test_dt_rule_names_rule_files_by_their_slug():
    slugs = {p.stem for p in (ROOT / "queries" / "rules").glob("*.rq")}
    for e in ENTRIES:
        assert (e.kind == "classification") == bool(e.rules), e.name
        for r in e.rules:
            assert r.startswith(RULE_BASE) and r[len(RULE_BASE):] in slugs, (e.name, r)
        # dt:covers describes findings; a rule is named by dt:rule, never by a document's number
        assert not any(re.match(r"rules? \d", c) for c in e.covers), (e.name, e.covers)


def test_one_manifest_per_pathway_and_each_entry_in_its_first_pathway(outcomes, kb):
    from reasoner.namespaces import DORSUM
    from rdflib.namespace import RDF, SKOS
    pathways = {str(kb.graph.value(p, SKOS.notation)) for p in kb.graph.subjects(RDF.type, DORSUM.CarePathway)}
    files = {e.manifest.name for e in ENTRIES}
    assert files == {f"{p}.ttl" for p in pathways} | {"no-pathway.ttl", "invalid-cases.ttl"}
    for e in ENTRIES:
        if e.kind == "invalid":
            assert e.manifest.name == "invalid-cases.ttl", e.name
            continue
        declared = [str(p).rsplit("pathway-", 1)[1] for p in e.graph.objects(e.result, URIRef("https://w3id.org/dorsum/test#pathway"))]
        entered = outcomes[e.iri].result["pathways"]
        assert e.manifest.name == (f"{entered[0]}.ttl" if entered else "no-pathway.ttl") or \
            (declared and e.manifest.name in {f"{p}.ttl" for p in declared}), e.name


def test_the_safety_corpus_is_marked():
    safety = [e for e in ENTRIES if e.safety]
    assert len(safety) >= 30
    assert {e.name for e in safety} == {e.name for e in ENTRIES if e.name.startswith("safety-")}
    for e in safety:
        assert list(e.graph.objects(URIRef(e.iri), URIRef("https://w3id.org/dorsum/test#justifiedBy"))), e.name


def copy_of(tmp_path, name: str, edit) -> Path:
    """A changed copy of one manifest file beside the real case files."""
    (tmp_path / "manifests").mkdir()
    (tmp_path / "vignettes").symlink_to(ROOT / "tests" / "vignettes")
    changed = tmp_path / "manifests" / name
    changed.write_text(edit((ROOT / "tests" / "manifests" / name).read_text()))
    return changed


def test_a_misspelt_expectation_is_reported_by_the_shapes(kb, tmp_path):
    bad = copy_of(tmp_path, "pigmented-lesion.ttl", lambda t: t.replace("dorsum:urgency-", "dorsum:urgencyy-", 1))
    msgs = validate_manifest(bad, kb, tmp_path)
    assert any("dt:urgency must be one dorsum:UrgencyLevel" in m and "urgencyy-" in m for m in msgs), msgs


def test_entries_outside_the_manifests_are_refused_not_fetched(tmp_path):
    m = tmp_path / "m.ttl"
    m.write_text("@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .\n"
                 "<> a mf:Manifest ; mf:include ( <http://example.org/remote.ttl> ) .\n")
    with pytest.raises(ManifestError, match="only local files"):
        read_manifest(m)


def test_a_wrong_expectation_fails_with_a_readable_difference(classifier, tmp_path):
    # adult-growing-lump is urgent with an ultrasound within 14 days; claim routine and 2 days
    def edit(src):
        block = src.split("<#adult-growing-lump> a")[1].split("\n\n")[0]
        return src.replace(block, block.replace("urgency-urgent", "urgency-routine").replace("dt:withinDays 14", "dt:withinDays 2"))
    changed = copy_of(tmp_path, "adult-soft-tissue.ttl", edit)
    entries = [e for e in read_manifest(changed, tmp_path) if e.name == "adult-growing-lump"]
    (o,) = run(entries, classifier)
    assert not o.passed
    assert o.problems == ["urgency: expected routine, got urgent",
                          "actions: ultrasound-soft-tissue: expected within_days 2, got within_days 14"]


def test_a_rule_that_starts_or_stops_firing_is_named(classifier, tmp_path):
    # adult-growing-lump: drop one rule that fires from its dt:rule list and name one that does not
    def edit(src):
        block = src.split("<#adult-growing-lump> a")[1].split("\n\n")[0]
        return src.replace(block, block.replace("    dt:rule rule:differential-lipoma ;\n", "    dt:rule rule:cutaneous-horn ;\n"))
    changed = copy_of(tmp_path, "adult-soft-tissue.ttl", edit)
    entries = [e for e in read_manifest(changed, tmp_path) if e.name == "adult-growing-lump"]
    (o,) = run(entries, classifier)
    assert o.problems == ["rules: cutaneous-horn is listed in dt:rule but did not fire",
                          "rules: differential-lipoma fired, not listed in dt:rule"]


def test_a_dt_rule_that_is_no_rule_iri_is_reported_by_the_shapes(kb, tmp_path):
    bad = copy_of(tmp_path, "pigmented-lesion.ttl", lambda t: t.replace("dt:rule rule:", "dt:rule dorsum:", 1))
    msgs = validate_manifest(bad, kb, tmp_path)
    assert any("dt:rule must be a rule IRI" in m for m in msgs), msgs


def test_dorsum_test_rules_prints_a_line_per_entry_and_passes():
    from click.testing import CliRunner
    from reasoner.cli import main

    res = CliRunner().invoke(main, ["test-rules"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert sum(line.startswith("PASS  ") for line in lines) == len(ENTRIES)
    assert f"{len(ENTRIES)} tests: {len(ENTRIES)} passed, 0 failed" in lines[-1]


def test_a_failing_entry_makes_test_rules_exit_1_with_the_diff(tmp_path):
    from click.testing import CliRunner
    from reasoner.cli import main

    changed = copy_of(tmp_path, "cutaneous-horn.ttl",
                      lambda t: t.replace("dt:diagnosis dorsum:dx-squamous-cell-carcinoma", "dt:diagnosis dorsum:dx-lipoma", 1))
    earl = tmp_path / "earl.ttl"
    res = CliRunner().invoke(main, ["test-rules", str(changed), "--earl", str(earl)])
    assert res.exit_code == 1, res.output
    assert "differential: expected lipoma, not concluded" in res.output
    assert "differential: concluded squamous-cell-carcinoma, not expected" in res.output
    assert "1 failed" in res.output.splitlines()[-1]
    report = Graph().parse(earl)
    EARL = "http://www.w3.org/ns/earl#"
    outcomes = sorted(str(o).rsplit("#", 1)[-1] for o in report.objects(None, URIRef(EARL + "outcome")))
    assert outcomes.count("failed") == 1 and outcomes.count("passed") == len(outcomes) - 1


def test_a_manifest_breaking_its_shapes_exits_2(tmp_path):
    from click.testing import CliRunner
    from reasoner.cli import main

    bad = copy_of(tmp_path, "adult-soft-tissue.ttl", lambda t: t.replace("dt:diagnosis dorsum:dx-", "dt:diagnosis dorsum:action-", 1))
    res = CliRunner().invoke(main, ["test-rules", str(bad)])
    assert res.exit_code == 2
    assert "dt:diagnosis must be a dorsum:Diagnosis" in res.output


def test_an_invalid_case_entry_fails_when_an_error_path_is_not_named(classifier, tmp_path):
    changed = copy_of(tmp_path, "invalid-cases.ttl", lambda t: t.replace('dt:errorPath "lump.depth" , ', 'dt:errorPath ', 1))
    (tmp_path / "invalid-cases").symlink_to(ROOT / "tests" / "invalid-cases")
    (o,) = [o for o in run(read_manifest(changed, tmp_path), classifier) if o.entry.name == "unknown-depth-and-misplaced-key"]
    assert o.problems == ["errors: concluded lump.depth, not expected"]


def test_a_manifest_file_left_out_of_manifest_ttl_is_reported(tmp_path):
    from click.testing import CliRunner
    from reasoner.cli import main

    repo = tmp_path / "repo"
    for d in ("ontology", "shapes", "queries", "context", "tests/manifests", "tests/vignettes", "tests/invalid-cases"):
        shutil.copytree(ROOT / d, repo / d)
    (repo / "tests" / "manifests" / "forgotten.ttl").write_text(
        (ROOT / "tests" / "manifests" / "invalid-cases.ttl").read_text().replace("<#", "<#forgotten-"))
    res = CliRunner().invoke(main, ["test-rules"], env={"DORSUM_KB": str(repo)})
    assert res.exit_code == 2
    assert "not included by manifest.ttl" in res.output and "forgotten.ttl" in res.output
