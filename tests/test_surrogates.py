"""Strings that are not valid Unicode (issue 14, item 6): a lone surrogate ("\\ud800" in JSON, "\\uD800"
in N-Triples or Turtle) anywhere in a case makes that case, and only that case, invalid with an
error naming where it is; no writer of the results ever fails on one; POST /classify answers 422."""

from __future__ import annotations

import json
import os
import sys

import pytest
from click.testing import CliRunner

from reasoner.cli import main
from test_bad_input import VALID
from test_endpoint_writes import app_and_settings, client  # noqa: F401  (the in-process endpoint)

NOT_UNICODE = "is not valid Unicode"


def case(case_id: str, **changes) -> dict:
    c = json.loads(json.dumps(VALID))
    c["id"] = case_id
    c.update(changes)
    return c


def classify(*paths) -> tuple[int, list[dict]]:
    res = CliRunner().invoke(main, ["classify", *map(str, paths)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    text = res.stdout_bytes.decode("utf-8")  # strict: the output is always valid UTF-8
    try:
        return res.exit_code, [json.loads(text)]  # one case file: one (pretty) JSON object
    except ValueError:
        return res.exit_code, [json.loads(line) for line in text.splitlines()]


def test_jsonl_batch_each_bad_line_gets_one_invalid_result(tmp_path):
    # json.dumps writes a lone surrogate as the escape "\ud800", exactly what a sender would send
    lines = [case("first"),
             case("bad\ud800id"),
             case("bad-value", lump={"site": "upper\udc00back", "size_cm": 2}),
             case("bad-key", patient={"age_years": 54, "s\ud83dx": "female"}),
             case("bad-item", skin_markers=["hairy-patch", "\udfff"]),
             case("last")]
    f = tmp_path / "batch.jsonl"
    f.write_text("\n".join(json.dumps(c) for c in lines) + "\n", encoding="ascii")
    code, out = classify(f)
    assert code == 1
    assert [r["case"] for r in out] == ["first", f"{f}:2", "bad-value", "bad-key", "bad-item", "last"]
    assert [r["status"] for r in out] == ["classified", "invalid", "invalid", "invalid", "invalid", "classified"]
    bad = {r["case"]: r["errors"] for r in out if r["status"] == "invalid"}
    assert [(e["path"], e["value"]) for e in bad[f"{f}:2"]] == [("id", "bad\\ud800id")]
    assert [(e["path"], e["value"]) for e in bad["bad-value"]] == [("lump.site", "upper\\udc00back")]
    assert [(e["path"], e["value"]) for e in bad["bad-key"]] == [("patient.s\\ud83dx", "female")]
    assert [e["path"] for e in bad["bad-item"]] == ["skin_markers[1]"]
    for errors in bad.values():
        assert all(NOT_UNICODE in e["message"] and "U+D" in e["message"] for e in errors), errors


def test_json_array_only_the_bad_case_is_invalid(tmp_path, classifier):
    f = tmp_path / "cases.json"
    f.write_text(json.dumps([case("a"), case("b", dates={"first_seen": "2026-03-0\ud800"}), case("c")]), encoding="ascii")
    results = list(classifier.classify_paths([f]))
    assert [(r.case_id, r.status) for r in results] == [("a", "classified"), ("b", "invalid"), ("c", "classified")]
    (e,) = results[1].json["errors"]
    assert e["path"] == "dates.first_seen" and e["value"] == "2026-03-0\\ud800" and NOT_UNICODE in e["message"]


D = "https://w3id.org/dorsum/"
GOOD_NT = (f'<{D}case/r2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{D}Case> .\n'
           f'<{D}case/r2> <{D}caseId> "r2" .\n<{D}case/r2> <{D}patient> <{D}case/r2/patient> .\n'
           f'<{D}case/r2/patient> <{D}ageYears> "40"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
RDF_CASE = {  # case r1 holds a "\uD800" escape; case r2, in the same file, is fine
    "nt": f'<{D}case/r1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{D}Case> .\n'
          f'<{D}case/r1> <{D}caseId> "r1\\uD800" .\n' + GOOD_NT,
    "ttl": f'<{D}case/r1> a <{D}Case> ; <{D}caseId> "r1" ; <{D}site> "x\\uDC00" .\n' + GOOD_NT,
}


@pytest.mark.parametrize("suffix", sorted(RDF_CASE))
def test_rdf_case_with_a_lone_surrogate_is_one_invalid_result(tmp_path, suffix):
    bad = tmp_path / f"cases.{suffix}"
    bad.write_text(RDF_CASE[suffix], encoding="ascii")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(case("good")))
    code, out = classify(bad, good)
    assert code == 1
    first = str(bad) if suffix == "nt" else "r1"  # an id that is not valid Unicode: named by its file
    assert [(r["case"], r["status"]) for r in out] == [(first, "invalid"), ("r2", "classified"), ("good", "classified")]
    (e,) = out[0]["errors"]
    assert NOT_UNICODE in e["message"] and "the object of this triple" in e["message"]
    assert e["value"].startswith(f"<{D}case/r1> <{D}") and ("\\ud800" in e["value"] or "\\udc00" in e["value"])


def test_jsonld_file_with_a_lone_surrogate_is_one_invalid_result_naming_the_path(tmp_path):
    bad = tmp_path / "bad.jsonld"
    bad.write_text(json.dumps({"@context": "https://w3id.org/dorsum/context/case.jsonld", "@id": f"{D}case/j1",
                               "@type": f"{D}Case", "id": "j1", "lump": {"site": "x\udc00"}}), encoding="ascii")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(case("good")))
    code, out = classify(bad, good)
    assert [(r["case"], r["status"]) for r in out] == [(str(bad), "invalid"), ("good", "classified")]
    (e,) = out[0]["errors"]
    assert e["path"] == "lump.site" and e["value"] == "x\\udc00" and NOT_UNICODE in e["message"]


def test_validate_prints_the_bad_string_escaped(tmp_path):
    f = tmp_path / "case.json"
    f.write_text(json.dumps(case("v", lump={"site": "a\ud800"})), encoding="ascii")
    res = CliRunner().invoke(main, ["validate", str(f)])
    assert res.exit_code == 1, res.output
    assert "v: lump.site = a\\ud800: the string is not valid Unicode" in res.stdout_bytes.decode("utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="file names as bytes")
def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path):
    """A file name in another encoding reaches Python with surrogates (surrogateescape); a case
    named after its file (no id) must still be written."""
    name = os.fsdecode(b"caf\xe9.json")
    (tmp_path / name).write_text(json.dumps({"patient": {"age_years": 3}}))
    code, out = classify(tmp_path / name)
    assert code == 1 and out[0]["status"] == "invalid"
    assert out[0]["case"] == str(tmp_path / "caf\\udce9.json")


def test_result_writers_never_fail_on_a_lone_surrogate():
    from reasoner.results.view import dumps

    for pretty in (True, False):
        text = dumps({"case": "x\ud800", "errors": [{"value": "\udfff"}]}, pretty=pretty)
        text.encode("utf-8")
        assert json.loads(text)["case"] == "x\ud800"  # the escape reads back as what was given


def test_post_classify_answers_422_naming_the_string(client):
    body = json.dumps(case("posted\ud800", lump={"site": "ok", "size_cm": 2})).encode("ascii")
    res = client.post("/classify", content=body, headers={"Content-Type": "application/json"})
    assert res.status_code == 422, res.text
    doc = res.json()
    assert doc["status"] == "invalid" and doc["case"] == "request"
    assert [(e["path"], e["value"]) for e in doc["errors"]] == [("id", "posted\\ud800")]
    assert NOT_UNICODE in doc["errors"][0]["message"]
    # and the next request is served as ever
    ok = client.post("/classify", content=json.dumps(case("after")).encode(), headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json()["case"] == "after"


@pytest.mark.skipif(sys.platform != "linux", reason="file names as bytes")
def test_a_run_manifest_names_a_file_that_is_not_utf8_and_verify_finds_it(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / os.fsdecode(b"caf\xe9.json")).write_text(json.dumps(case("cafe")))
    out, run = tmp_path / "out.jsonl", tmp_path / "run.json"
    res = CliRunner().invoke(main, ["classify", str(cases), "-o", str(out), "--manifest", str(run)])
    assert res.exit_code == 0, res.output
    run.read_bytes().decode("utf-8")  # strict: valid UTF-8
    assert "cases/caf\\udce9.json" in run.read_text()
    res = CliRunner().invoke(main, ["verify", str(run)])
    assert res.exit_code == 0 and "REPRODUCED" in res.output, res.output
