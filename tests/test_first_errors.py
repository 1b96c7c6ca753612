"""The errors a user meets first (issue 14, item 12): every error of a case at once, the offending
value in `value`, the nearest known key suggested, no library traceback before a clean error, a
wrong knowledge-base directory named in one line, repeated JSON keys refused, and a JSON Lines line
that is not an object given its own result."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main
from test_bad_input import VALID

T1 = {"id": "t1", "patient": {"age": 40, "age_years": 131}, "lump": {"consistency": "rubery"}}


def write(tmp_path, name: str, text: str):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


# ---------------------------------------------------------------- (a) (b) (c) every error at once

def test_every_error_of_a_case_is_reported_at_once(tmp_path):
    f = write(tmp_path, "t1.json", json.dumps(T1))
    res = CliRunner().invoke(main, ["classify", str(f)])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["status"] == "invalid" and out["urgency"] is None and out["actions"] == []
    errors = {e["path"]: e for e in out["errors"]}
    assert set(errors) == {"patient.age", "patient.age_years", "lump.consistency"}, out["errors"]
    # (b) the value the unknown key was given, the key in the message; (c) the nearest known key
    assert errors["patient.age"]["value"] == "40"
    assert "unknown key 'age'; did you mean 'age_years'?" in errors["patient.age"]["message"]
    assert errors["patient.age_years"]["value"] == "131" and "from 0 to 130" in errors["patient.age_years"]["message"]
    assert errors["lump.consistency"]["value"] == "rubery" and "rubbery" in errors["lump.consistency"]["message"]


def test_validate_prints_every_error(tmp_path):
    f = write(tmp_path, "t1.json", json.dumps(T1))
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1
    lines = [line for line in res.stdout.splitlines() if line.startswith("t1: ")]
    assert len(lines) == 3, res.stdout
    assert "t1: patient.age = 40: unknown key 'age'; did you mean 'age_years'?" in lines[0]


def test_errors_that_come_from_a_left_out_key_are_not_reported(classify_case):
    """The shapes see the case without its unknown keys: an error that leaving one out could cause
    (the age is missing, when it was given under an unknown key) is not reported."""
    r = classify_case({"id": "x", "patient": {"age": 40}})
    assert [(e["path"], e["value"]) for e in r.json["errors"]] == [("patient.age", "40")]
    r = classify_case({"id": "y", "patient": {"age_years": 40}, "lump": {"sise_cm": 3, "depth": "medium"}})
    assert [e["path"] for e in r.json["errors"]] == ["lump.sise_cm", "lump.depth"]


def test_a_case_with_errors_is_never_classified_even_when_the_rest_is_valid(classify_case):
    case = json.loads(json.dumps(VALID))
    case["lump"]["colour"] = "red"
    r = classify_case(case)
    assert r.status == "invalid" and r.json["urgency"] is None and r.json["actions"] == []
    (e,) = r.json["errors"]
    assert e["path"] == "lump.colour" and e["value"] == "red"


def test_suggestions_come_from_the_shipped_context(kb_copy):
    """Rename a key in a copy of the context: the suggestion follows it (no list of keys in code)."""
    from reasoner.case.context import load_context
    from reasoner.case.intake import flat_case

    ctx_file = kb_copy / "context" / "case.context.jsonld"
    ctx_file.write_text(ctx_file.read_text().replace('"age_years"', '"age_in_years"'))
    ctx = load_context(str(ctx_file))
    ci = flat_case({"id": "c", "patient": {"age_years": 4}}, "c", ctx)
    (e,) = ci.errors
    assert e["path"] == "patient.age_years" and "did you mean 'age_in_years'?" in e["message"]


# ---------------------------------------------------------------- (d) no library log line

def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-c", "from reasoner.cli import main; main()", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, env=env)


def test_a_bad_date_is_one_clean_error_with_nothing_else_on_stderr(tmp_path):
    case = json.loads(json.dumps(VALID))
    case["dates"] = {"first_seen": "2024-13-45"}
    f = write(tmp_path, "date.json", json.dumps(case))
    res = run_cli("validate", f)
    assert res.returncode == 1
    assert res.stdout == "ok-1: dates.first_seen = 2024-13-45: 'first_seen' must be a date written YYYY-MM-DD\n"
    assert res.stderr == "1 case(s), 0 valid, 1 invalid\n"


def test_rdflib_logging_is_not_disabled_outside_case_input(caplog):
    """Only the warnings about input we report ourselves are kept back: the same warning outside
    intake still reaches logging."""
    import reasoner.case.intake  # noqa: F401  (installs its filter)
    from rdflib import Literal
    from rdflib.namespace import XSD

    with caplog.at_level(logging.WARNING, logger="rdflib.term"):
        Literal("2024-13-45", datatype=XSD.date)
    assert any("Failed to convert Literal" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- (e) a wrong knowledge base

@pytest.mark.parametrize("command", ["classify", "explain", "validate", "check", "test-rules", "coverage", "docs"])
@pytest.mark.parametrize("kind", ["missing", "file", "empty-dir"])
@pytest.mark.parametrize("how", ["--kb", "DORSUM_KB"])
def test_a_wrong_knowledge_base_is_one_line_exit_2(tmp_path, command, kind, how):
    kb = {"missing": tmp_path / "nowhere", "file": write(tmp_path, "a-file", "x"), "empty-dir": tmp_path}[kind]
    case = write(tmp_path, "case.json", json.dumps(VALID))
    args = [command] + ([str(case)] if command in ("classify", "explain", "validate") else [])
    if how == "--kb":
        res = CliRunner().invoke(main, args + ["--kb", str(kb)])
    else:
        res = CliRunner().invoke(main, args, env={"DORSUM_KB": str(kb)})
    assert res.exit_code == 2, res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), res.exception
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert lines[0].startswith(f"Error: {how} {kb}: ") and "expected a dorsum knowledge-base directory" in lines[0]
    assert {"missing": "no such directory", "file": "is a file", "empty-dir": "has no ontology/"}[kind] in lines[0]


def test_verify_kb_is_checked_the_same_way(tmp_path):
    manifest = write(tmp_path, "run.json", "{}")
    res = CliRunner().invoke(main, ["verify", str(manifest), "--kb", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and res.output.strip().splitlines() == [
        f"Error: --kb {tmp_path / 'nowhere'}: no such directory; expected a dorsum knowledge-base directory "
        "(with ontology/, shapes/, queries/ and context/case.context.jsonld)"]


def test_a_good_kb_copy_is_accepted(tmp_path, kb_copy):
    f = write(tmp_path, "case.json", json.dumps(VALID))
    res = CliRunner().invoke(main, ["validate", str(f), "--kb", str(kb_copy)])
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------- (f) repeated keys

def test_a_repeated_key_is_an_error_naming_its_path(classify_case, tmp_path, classifier):
    f = write(tmp_path, "dup.json", '{"id": "a", "id": "b", "patient": {"age_years": 4, "sex": "female", "age_years": 5}}')
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and r.case_id == str(f)  # neither "a" nor "b": the id is not guessed
    errors = [(e["path"], e["value"]) for e in r.json["errors"]]
    assert errors == [("id", '["a", "b"]'), ("patient.age_years", "[4, 5]")]
    assert all("given 2 times" in e["message"] for e in r.json["errors"])
    assert "key 'id'" in r.json["errors"][0]["message"] and "key 'age_years'" in r.json["errors"][1]["message"]


def test_a_repeated_key_in_a_jsonld_case_is_an_error(tmp_path, classifier):
    doc = ('{"@context": "https://w3id.org/dorsum/context/case.jsonld", "@id": "https://w3id.org/dorsum/case/j",'
           ' "@type": "https://w3id.org/dorsum/Case", "id": "j", "patient": {"age_years": 4, "age_years": 50}}')
    f = write(tmp_path, "dup.jsonld", doc)
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid"
    assert [(e["path"], e["value"]) for e in r.json["errors"]] == [("patient.age_years", "[4, 50]")]


# ---------------------------------------------------------------- (g) JSON Lines lines that are not objects

def test_each_jsonl_line_that_is_not_an_object_gets_its_own_result(tmp_path):
    good = lambda i: json.dumps(dict(VALID, id=f"ok-{i}"))  # noqa: E731
    lines = [good(1), "[]", "3", '"x"', "null", good(2), '[{"id": "inner"}]', good(3)]
    f = write(tmp_path, "mixed.jsonl", "\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["classify", str(f)])
    assert res.exit_code == 1
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["case"] for r in out] == ["ok-1", f"{f}:2", f"{f}:3", f"{f}:4", f"{f}:5", "ok-2", f"{f}:7", "ok-3"]
    assert [r["status"] for r in out] == ["classified"] + ["invalid"] * 4 + ["classified", "invalid", "classified"]
    for r, n, kind in zip([out[i] for i in (1, 2, 3, 4, 6)], (2, 3, 4, 5, 7),
                          ("an array", "a number", "a string", "null", "an array")):
        (e,) = r["errors"]
        assert e["message"].startswith(f"line {n} is {kind}, not a case"), e
    assert [out[i]["errors"][0]["value"] for i in (1, 2, 3, 4)] == ["[]", "3", "x", "null"]


def test_what_is_read_of_an_invalid_case_never_meets_a_valid_case_of_its_chunk(classifier):
    """A case with an intake error is checked against the shapes under its own id's IRI with the
    chunk's other cases (each case is validated in its own graph): a valid case with that id is not
    touched by it (a guard: validation keeps cases apart)."""
    from reasoner.case.intake import flat_case

    bad = flat_case({"id": "a", "patient": {"age_years": 40}, "colour": "red"}, "in:1", classifier.ctx)
    good = flat_case({"id": "a", "patient": {"age_months": 30}, "lump": {"size_cm": 2}}, "in:2", classifier.ctx)
    other = flat_case({"id": "a", "patient": {"age_days": 3}, "mood": "sad"}, "in:3", classifier.ctx)
    results = classifier.classify_many([bad, good, other])
    assert [r.status for r in results] == ["invalid", "classified", "invalid"]
    assert [e["path"] for e in results[0].json["errors"]] == ["colour"]
    assert [e["path"] for e in results[2].json["errors"]] == ["mood"]
