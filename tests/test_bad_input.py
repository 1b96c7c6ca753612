"""Bad input gets a clear error naming the field, the value and what was expected; a batch goes on."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from reasoner.cli import main

VALID = {"id": "ok-1", "patient": {"age_years": 54},
         "lump": {"size_cm": 2, "depth": "superficial", "fixed_to_deep_tissue": False, "growth": "stable",
                  "consistency": "soft", "ulceration": False, "bleeding": False, "pain": False}}


def with_change(path, value):
    case = json.loads(json.dumps(VALID))
    node = case
    *parents, last = path.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return case


DELETE = object()

CASES = [
    # (what, change path, value, expected error path, expected value, words in the message)
    ("typo in a key", "lump.sise_cm", 3, "lump.sise_cm", "3", ["unknown key 'sise_cm'", "did you mean 'size_cm'"]),
    ("wrong type", "lump.size_cm", "big", "lump.size_cm", "big", ["must be a number"]),
    ("negative size", "lump.size_cm", -2, "lump.size_cm", "-2", ["above 0"]),
    ("implausible size", "lump.size_cm", 4000, "lump.size_cm", "4000", ["at most 100"]),
    ("unknown enum value", "lump.depth", "gigantic", "lump.depth", "gigantic", ["expected superficial or deep"]),
    ("boolean as string", "lump.pain", "no", "lump.pain", "no", ["true or false"]),
    ("implausible age", "patient.age_years", 250, "patient.age_years", "250", ["from 0 to 130"]),
    ("negative age", "patient.age_years", -1, "patient.age_years", "-1", ["from 0 to 130"]),
    ("malformed date", "dates.first_seen", "2026-13-45", "dates.first_seen", "2026-13-45", ["YYYY-MM-DD"]),
    ("unknown skin marker", "skin_markers", ["hairy-patch", "purple-spot"], "skin_markers", "purple-spot", ["unknown skin marker"]),
    ("key at the wrong level", "size_cm", 3, "size_cm", "3", ["does not belong"]),
    ("unknown suspected diagnosis", "suspected", ["gout"], "suspected", "gout", ["unknown suspected diagnosis"]),
]


@pytest.mark.parametrize("what,path,value,err_path,err_value,words", CASES, ids=[c[0] for c in CASES])
def test_invalid_field_is_named(classify_case, what, path, value, err_path, err_value, words):
    result = classify_case(with_change(path, value)).json
    assert result["status"] == "invalid"
    assert result["urgency"] is None and result["actions"] == []
    matching = [e for e in result["errors"] if e["path"] == err_path]
    assert matching, result["errors"]
    assert any(str(e["value"]) == err_value for e in matching), matching
    assert all(any(w in e["message"] for e in matching) for w in words), matching


def test_missing_id_and_age(classify_case):
    result = classify_case({"patient": {"age_years": 3}}, name="no-id.json").json
    assert result["status"] == "invalid"
    assert any(e["path"] == "id" and "non-empty string" in e["message"] for e in result["errors"])
    result = classify_case({"id": "x", "patient": {"sex": "female"}}).json
    assert result["errors"] == [{"path": "patient", "value": None,
                                 "message": "give the patient's age as exactly one of age_years, age_months or age_days"}]


def test_two_ages_are_refused(classify_case):
    result = classify_case({"id": "x", "patient": {"age_years": 3, "age_months": 36}}).json
    assert result["status"] == "invalid"
    assert [(e["path"], e["message"]) for e in result["errors"]] == [
        ("patient", "give the patient's age as exactly one of age_years, age_months or age_days")]


def test_no_patient(classify_case):
    result = classify_case({"id": "x"}).json
    assert any(e["path"] == "patient" and "patient" in e["message"] for e in result["errors"]), result["errors"]


def test_nan_and_infinity_are_not_json(tmp_path, classifier):
    f = tmp_path / "nan.json"
    f.write_text('{"id": "n", "patient": {"age_years": NaN}}')
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and "NaN is not a valid JSON number" in r.json["errors"][0]["message"]


def test_non_utf8_bytes(tmp_path, classifier):
    f = tmp_path / "latin1.json"
    f.write_bytes('{"id": "caf\xe9", "patient": {"age_years": 3}}'.encode("latin-1"))
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and "not UTF-8" in r.json["errors"][0]["message"]


def test_deep_nesting_is_refused(tmp_path, classifier):
    deep = {"id": "deep", "patient": {"age_years": 3}, "lump": {}}
    node = deep["lump"]
    for _ in range(40):
        node["pigmented_lesion"] = {}
        node = node["pigmented_lesion"]
    f = tmp_path / "deep.json"
    f.write_text(json.dumps(deep))
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and "nests deeper" in r.json["errors"][0]["message"]


def test_remote_context_is_never_fetched(tmp_path, classifier):
    f = tmp_path / "remote.jsonld"
    f.write_text(json.dumps({"@context": "http://example.org/context.jsonld", "@id": "http://example.org/c", "@type": "https://w3id.org/dorsum/Case"}))
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid"
    assert r.json["errors"][0]["path"] == "@context" and "never fetched" in r.json["errors"][0]["message"]


def test_case_file_may_not_change_the_ontology(tmp_path, classifier):
    f = tmp_path / "sneaky.ttl"
    f.write_text("""@prefix dorsum: <https://w3id.org/dorsum/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/dorsum/case/t1> a dorsum:Case ; dorsum:caseId "t1" ; dorsum:patient <https://w3id.org/dorsum/case/t1/patient> .
<https://w3id.org/dorsum/case/t1/patient> dorsum:ageYears 40 .
dorsum:Adult rdfs:subClassOf dorsum:Neonate .
""")
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and "never change the knowledge base" in r.json["errors"][0]["message"]


def test_batch_with_a_malformed_line_classifies_every_other_case(tmp_path):
    lines = []
    for i in range(5):
        case = json.loads(json.dumps(VALID))
        case["id"] = f"batch-{i}"
        lines.append(json.dumps(case))
    lines.insert(2, '{"id": "broken", "patient": {"age_years": 3,,}')
    f = tmp_path / "batch.jsonl"
    f.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["classify", str(f)])
    assert res.exit_code == 1
    out = [json.loads(line) for line in res.output.splitlines()]
    assert [r["case"] for r in out] == ["batch-0", "batch-1", f"{f}:3", "batch-2", "batch-3", "batch-4"]
    assert [r["status"] for r in out] == ["classified"] * 2 + ["invalid"] + ["classified"] * 3
    assert "malformed JSON" in out[2]["errors"][0]["message"]


def test_validate_command_names_each_problem(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(with_change("lump.size_cm", -2)))
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1
    assert "ok-1: lump.size_cm = -2: 'size_cm' must be a number above 0" in res.output
    g = tmp_path / "good.json"
    g.write_text(json.dumps(VALID))
    assert CliRunner().invoke(main, ["validate", str(g)]).exit_code == 0


def test_ids_that_break_iris_are_encoded(classify_case):
    case = json.loads(json.dumps(VALID))
    case["id"] = "case 17/<a>#b"
    r = classify_case(case)
    assert r.json["case"] == "case 17/<a>#b" and r.status == "classified"
    assert any(str(s).startswith("https://w3id.org/dorsum/case/case%2017%2F%3Ca%3E%23b") for s in r.graph.subjects())


def test_a_single_case_is_inferred_while_validated_but_only_a_valid_one_uses_it(classifier, monkeypatch):
    """One case is inferred on another thread while its shapes are checked. If that inference
    fails on an invalid case, the case still gets its validation errors; on a valid case the
    failure is not hidden."""
    from reasoner.case.intake import flat_case

    def failing(*args, **kwargs):
        raise RuntimeError("inference failed")

    monkeypatch.setattr(classifier.engine, "derive_batch", failing)
    invalid = classifier.classify_input(flat_case(with_change("lump.size_cm", -2), "bad", classifier.ctx))
    assert invalid.status == "invalid" and invalid.json["errors"][0]["path"] == "lump.size_cm"
    with pytest.raises(RuntimeError, match="inference failed"):
        classifier.classify_input(flat_case(VALID, "good", classifier.ctx))
