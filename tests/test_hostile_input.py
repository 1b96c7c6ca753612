"""Hostile and faulty input: huge inputs stay in bounded memory, colliding ids, RDF/XML."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

OK_CASE = {"id": "fine", "patient": {"age_years": 40}, "lump": {"size_cm": 2}}


def test_200_mb_input_is_streamed_in_bounded_memory(tmp_path):
    f = tmp_path / "huge.jsonl"
    with open(f, "w") as fh:  # one 200 MB line between two ordinary cases
        fh.write(json.dumps(dict(OK_CASE, id="before")) + "\n")
        fh.write('{"id": "huge", "patient": {"age_years": 3}, "lump": {"site": "')
        chunk = "x" * (1 << 20)
        for _ in range(200):
            fh.write(chunk)
        fh.write('"}}\n')
        fh.write(json.dumps(dict(OK_CASE, id="after")) + "\n")
    code = ("import resource, sys; from reasoner.cli import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code, "classify", str(f)], cwd=ROOT, capture_output=True, text=True)
    results = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["case"] for r in results] == ["before", f"{f}:2", "after"]
    assert [r["status"] for r in results] == ["classified", "invalid", "classified"]
    assert "longer than" in results[1]["errors"][0]["message"]
    rss_mib = int(next(l.split()[1] for l in res.stderr.splitlines() if l.startswith("MAXRSS"))) / 1024
    assert rss_mib < 600, f"peak RSS {rss_mib:.0f} MiB for a 200 MB input"


def test_colliding_ids_are_reported_on_the_later_case(tmp_path, classifier):
    f = tmp_path / "dupes.jsonl"
    f.write_text("\n".join(json.dumps(dict(OK_CASE, id=i)) for i in ("a", "b", "a")) + "\n")
    results = list(classifier.classify_paths([f]))
    assert [(r.case_id, r.status) for r in results] == [("a", "classified"), ("b", "classified"), ("a", "invalid")]
    assert "already used" in results[2].json["errors"][-1]["message"]


def test_rdf_xml_is_refused(tmp_path, classifier):
    f = tmp_path / "case.rdf"
    f.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><rdf:RDF '
                 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&e;</rdf:RDF>')
    (r,) = list(classifier.classify_paths([f]))
    assert r.status == "invalid" and "unsupported input type '.rdf'" in r.json["errors"][0]["message"]
    assert "root:" not in json.dumps(r.json)
