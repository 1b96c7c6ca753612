"""Issue 14, item 2: one case's input never changes another case or the knowledge base.

A case may describe only its own nodes (the case IRI and the blank nodes or IRIs under `<case>/`
it reaches through the case vocabulary) and may type only its case node, as dorsum:Case. Anything
else is an error on that case, which no rule then sees; the other cases are unaffected, and a case
gives the same result alone and inside any batch, in any order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

PREFIXES = """@prefix dorsum: <https://w3id.org/dorsum/> .
@prefix c: <https://w3id.org/dorsum/case/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# unknown growth: undetermined on its own
VICTIM = """c:ab a dorsum:Case ; dorsum:caseId "ab" ;
    dorsum:patient [ dorsum:ageYears 38 ] ;
    dorsum:lump [ dorsum:sizeCm 2.0 ; dorsum:depth dorsum:depth-superficial ; dorsum:mobile true ;
                  dorsum:consistency dorsum:consistency-soft ; dorsum:ulceration false ; dorsum:bleeding false ;
                  dorsum:pain false ] .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def classify(classifier, paths) -> dict:
    """case id -> result JSON, all the paths' cases in one batch."""
    results = classifier.classify_many(list(classifier.inputs(paths)))
    return {r.case_id: r for r in results}


def test_a_case_whose_iri_is_a_prefix_of_anothers_cannot_describe_its_lump(tmp_path, classifier):
    alone = classify(classifier, [write(tmp_path, "alone.ttl", PREFIXES + VICTIM)])["ab"]
    assert alone.status == "classified" and alone.json["urgency"]["level"] == "undetermined"
    # c:a is a prefix of c:ab; it names the IRI the victim's blank lump is given (c:ab/lump)
    attack = PREFIXES + VICTIM + """c:a a dorsum:Case ; dorsum:caseId "a" ; dorsum:patient <https://w3id.org/dorsum/case/a/patient> ;
    dorsum:lump <https://w3id.org/dorsum/case/ab/lump> .
<https://w3id.org/dorsum/case/a/patient> dorsum:ageYears 38 .
<https://w3id.org/dorsum/case/ab/lump> dorsum:growth dorsum:growth-stable .
"""
    got = classify(classifier, [write(tmp_path, "attack.ttl", attack)])
    assert got["ab"].json == alone.json
    assert got["a"].status == "invalid"
    errors = got["a"].json["errors"]
    assert any("case/ab/lump" in str(e["value"]) and "not a node of this case" in e["message"] for e in errors), errors


def test_a_case_may_not_retype_a_knowledge_base_term(tmp_path, classifier):
    victim = EXAMPLES / "lipoma-reassured.json"  # growth stable: observe
    alone = classify(classifier, [victim])["lipoma-reassured"]
    assert alone.json["urgency"]["level"] == "observe"
    # the case's IRI is a prefix of dorsum:growth-stable, so the old intake gave it that term's triples
    attack = write(tmp_path, "attack.ttl", PREFIXES + """<https://w3id.org/dorsum/growth> a dorsum:Case ; dorsum:caseId "growth" ;
    dorsum:patient [ dorsum:ageYears 40 ] ; dorsum:lump [ dorsum:growth dorsum:growth-stable ] .
dorsum:growth-stable a dorsum:IncreasingInSize .
""")
    for order in ([attack, victim], [victim, attack]):
        got = classify(classifier, order)
        assert got["lipoma-reassured"].json == alone.json
        assert got["growth"].status == "invalid"
        messages = " ".join(e["message"] + " " + str(e["value"]) for e in got["growth"].json["errors"])
        assert "growth-stable" in messages and "IncreasingInSize" in messages


def test_a_case_may_not_assert_an_age_group(tmp_path, classifier):
    f = write(tmp_path, "child.ttl", PREFIXES + """c:old a dorsum:Case ; dorsum:caseId "old" ;
    dorsum:patient [ a dorsum:Child ; dorsum:ageYears 40 ] ;
    dorsum:lump [ dorsum:sizeCm 2.0 ; dorsum:depth dorsum:depth-superficial ] .
""")
    r = classify(classifier, [f])["old"]
    assert r.status == "invalid"
    (e,) = r.json["errors"]
    assert e["path"] == "patient" and e["value"] == "<https://w3id.org/dorsum/Child>" and "rdf:type" in e["message"]


def test_a_case_may_not_assert_a_conclusion_on_itself(tmp_path, classifier):
    f = write(tmp_path, "typed.ttl", PREFIXES + """c:t a dorsum:Case, dorsum:Conclusion ; dorsum:caseId "t" ;
    dorsum:patient [ dorsum:ageYears 40 ] .
""")
    r = classify(classifier, [f])["t"]
    assert r.status == "invalid" and r.json["errors"][0]["value"] == "<https://w3id.org/dorsum/Conclusion>"


def test_the_dorsum_namespace_is_not_a_case(tmp_path, classifier):
    victim = EXAMPLES / "lipoma-reassured.json"
    alone = classify(classifier, [victim])["lipoma-reassured"]
    f = write(tmp_path, "ns.ttl", PREFIXES + """dorsum: a dorsum:Case ; dorsum:caseId "ns" ;
    dorsum:patient dorsum:ns-patient ; dorsum:lump dorsum:ns-lump .
dorsum:ns-patient dorsum:ageYears 40 .
dorsum:ns-lump dorsum:growth dorsum:growth-stable .
dorsum:growth-stable a dorsum:IncreasingInSize .
""")
    got = classify(classifier, [f, victim])
    assert got["lipoma-reassured"].json == alone.json
    r = got["ns"]
    assert r.status == "invalid"
    assert r.json["errors"][0]["path"] == "id" and r.json["errors"][0]["value"] == "https://w3id.org/dorsum/"
    shown = [e["value"] for e in r.json["errors"]]
    assert ("<https://w3id.org/dorsum/growth-stable> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            "<https://w3id.org/dorsum/IncreasingInSize>") in shown, shown



def test_other_cases_of_the_file_are_unaffected(tmp_path, classifier):
    alone = classify(classifier, [write(tmp_path, "alone.ttl", PREFIXES + VICTIM)])["ab"]
    f = write(tmp_path, "both.ttl", PREFIXES + VICTIM + """c:x a dorsum:Case ; dorsum:caseId "x" ;
    dorsum:patient [ a dorsum:Adult ; dorsum:ageYears 40 ] .
""")
    got = classify(classifier, [f])
    assert got["ab"].json == alone.json and got["x"].status == "invalid"


VALID_FILES = ["growing-lump-adult.json", "infant-dermal-sinus.json", "lipoma-reassured.json", "unknown-growth.json"]


ATTACKS = {
    "prefix.ttl": """c:a a dorsum:Case ; dorsum:caseId "a" ; dorsum:patient [ dorsum:ageYears 38 ] ;
    dorsum:lump <https://w3id.org/dorsum/case/ab/lump>, <https://w3id.org/dorsum/case/unknown-growth/lump> .
<https://w3id.org/dorsum/case/ab/lump> dorsum:growth dorsum:growth-stable .
<https://w3id.org/dorsum/case/unknown-growth/lump> dorsum:growth dorsum:growth-stable .
""",
    "kb.ttl": """<https://w3id.org/dorsum/growth> a dorsum:Case ; dorsum:caseId "growth" ;
    dorsum:patient [ dorsum:ageYears 40 ] ; dorsum:lump [ dorsum:growth dorsum:growth-stable ] .
dorsum:growth-stable a dorsum:IncreasingInSize .
""",
}


def test_valid_cases_give_the_same_json_alone_and_in_any_batch(tmp_path, classifier):
    """Byte-identical JSON for each valid case alone and inside batches in different orders, also
    next to cases that try to reach it."""
    turtle = write(tmp_path, "rdf.ttl", PREFIXES + VICTIM)
    paths = [EXAMPLES / f for f in VALID_FILES] + [turtle]
    attacks = [write(tmp_path, name, PREFIXES + text) for name, text in sorted(ATTACKS.items())]
    alone = {}
    for p in paths:
        alone.update({k: json.dumps(r.json, sort_keys=True) for k, r in classify(classifier, [p]).items()})
    for order in (paths, paths[::-1], paths[2:] + attacks + paths[:2], attacks[::-1] + paths):
        got = {k: json.dumps(r.json, sort_keys=True) for k, r in classify(classifier, order).items() if k in alone}
        assert got == alone


ERRORS_SCRIPT = """
import json, sys
from reasoner.pipeline import Classifier
c = Classifier()
print(json.dumps([r.json.get("errors") for r in c.classify_many(list(c.inputs(sys.argv[1:])))]))
"""


MANY = PREFIXES + """c:m a dorsum:Case, dorsum:UrgentCase, dorsum:Conclusion ; dorsum:caseId "m" ;
    dorsum:patient [ a dorsum:Child, dorsum:Infant ; dorsum:ageYears 40 ] ;
    dorsum:lump <https://w3id.org/dorsum/case/mn/lump>, dorsum:growth-rapid ; dorsum:note [ dorsum:x 1 ] .
<https://w3id.org/dorsum/case/mn/lump> dorsum:growth dorsum:growth-rapid ; dorsum:pain true .
c:mn a dorsum:Case ; dorsum:caseId "mn" ; dorsum:patient [ dorsum:ageYears 3 ] .
"""

STRAY = PREFIXES + """c:s a dorsum:Case ; dorsum:caseId "s" ; dorsum:patient [ dorsum:ageYears 40 ] .
[ dorsum:x [ dorsum:y 1 ] ] .
"""

# ERRORS_SCRIPT over each file given, each classified alone (as ERRORS_SCRIPT with that one file)
ERRORS_PER_FILE_SCRIPT = """
import json, sys
from reasoner.pipeline import Classifier
c = Classifier()
print(json.dumps({f: json.dumps([r.json.get("errors") for r in c.classify_many(list(c.inputs([f])))]) for f in sys.argv[1:]}))
"""


@pytest.fixture(scope="module")
def errors_under_two_hash_seeds(tmp_path_factory):
    """Each hash-seed test's case file classified under PYTHONHASHSEED 1 and 2: one process per
    seed for all of them (a process pays the interpreter and the knowledge-base load), each file
    still classified alone. {file name: [JSON text under seed 1, under seed 2]}."""
    tmp = tmp_path_factory.mktemp("seeds")
    files = [write(tmp, "many.ttl", MANY), write(tmp, "stray.ttl", STRAY)]
    outs = {f.name: [] for f in files}
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, "-c", ERRORS_PER_FILE_SCRIPT, *map(str, files)], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
        for f, text in json.loads(res.stdout).items():
            outs[Path(f).name].append(text)
    return outs


def test_errors_do_not_depend_on_the_hash_seed(errors_under_two_hash_seeds):
    outs = errors_under_two_hash_seeds["many.ttl"]
    assert outs[0] == outs[1]
    errors, valid = json.loads(outs[0])
    assert len(errors) == 7 and not valid
    assert [e["value"] for e in errors if e["path"] == "patient"] == ["<https://w3id.org/dorsum/Child>", "<https://w3id.org/dorsum/Infant>"]


def test_two_cases_never_share_an_iri(tmp_path, classifier):
    """Two cases with one IRI would share their nodes in a batch: the later one is in error (in
    the dorsum namespace the IRI follows from the id; elsewhere it is checked as such)."""
    one = write(tmp_path, "one.ttl", PREFIXES + """<http://example.org/c> a dorsum:Case ; dorsum:caseId "one" ;
    dorsum:patient [ dorsum:ageYears 38 ] ; dorsum:lump [ dorsum:growth dorsum:growth-unknown ] .
""")
    two = write(tmp_path, "two.ttl", PREFIXES + """<http://example.org/c> a dorsum:Case ; dorsum:caseId "two" ;
    dorsum:patient [ dorsum:ageYears 38 ] ; dorsum:lump [ dorsum:growth dorsum:growth-rapid ] .
""")
    alone = classify(classifier, [one])["one"]
    got = {r.case_id: r for r in classifier.classify_many(list(classifier.inputs([one, two])))}
    assert got["one"].json == alone.json
    assert got["two"].status == "invalid" and "already used" in got["two"].json["errors"][0]["message"]


def test_cases_whose_nodes_meet_are_classified_apart(tmp_path, classifier):
    """A case IRI under another's (outside the dorsum namespace, where intake cannot tell) lets
    one case name a node the other's blank node is given; in a batch they never meet."""
    inner = write(tmp_path, "inner.ttl", PREFIXES + """<http://example.org/a/b> a dorsum:Case ; dorsum:caseId "inner" ;
    dorsum:patient [ dorsum:ageYears 38 ] ; dorsum:lump [ dorsum:growth dorsum:growth-unknown ] .
""")
    outer = write(tmp_path, "outer.ttl", PREFIXES + """<http://example.org/a> a dorsum:Case ; dorsum:caseId "outer" ;
    dorsum:patient <http://example.org/a/b/patient> ; dorsum:lump <http://example.org/a/b/lump> .
<http://example.org/a/b/patient> dorsum:ageYears 2 .
<http://example.org/a/b/lump> dorsum:growth dorsum:growth-rapid .
""")
    alone = {k: r.json for p in (inner, outer) for k, r in classify(classifier, [p]).items()}
    for order in ([inner, outer], [outer, inner]):
        got = {k: r.json for k, r in classify(classifier, order).items()}
        assert got == alone


def test_triples_outside_every_case_are_shown_without_blank_node_labels(errors_under_two_hash_seeds):
    outs = errors_under_two_hash_seeds["stray.ttl"]
    assert outs[0] == outs[1]
    (errors,) = json.loads(outs[0])
    assert errors[-1]["value"] == "[] <https://w3id.org/dorsum/x> []" and "outside any case" in errors[-1]["message"]


def test_a_case_may_not_describe_a_knowledge_base_term_outside_the_dorsum_namespace(tmp_path, classifier):
    f = write(tmp_path, "dcterms.ttl", PREFIXES + """<http://purl.org/dc/terms/source> a dorsum:Case ; dorsum:caseId "dct" ;
    dorsum:patient [ dorsum:ageYears 40 ] .
""")
    r = classify(classifier, [f])["dct"]
    assert r.status == "invalid"
    assert [e["value"] for e in r.json["errors"]] == [
        "<http://purl.org/dc/terms/source> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
        "<http://purl.org/dc/terms/source> <https://w3id.org/dorsum/caseId>",
        "<http://purl.org/dc/terms/source> <https://w3id.org/dorsum/patient>"]


PEEK_RULE = """# title: test only: a rule that looks for another case's data
# pathway: adult-soft-tissue
# implements: dorsum:stmt-pitfall-do-not-delay-ultrasound
# stratum: 1
# status: active
# version: 1
CONSTRUCT {
  ?w a dorsum:WarningConclusion ; dorsum:aboutCase ?case ; dorsum:warning dorsum:pitfall-do-not-delay-ultrasound .
}
WHERE {
  ?case dorsum:entersPathway dorsum:pathway-adult-soft-tissue .
  %s
  FILTER (?other %s ?case)
  BIND (IRI(CONCAT(STR(?case), "/conclusion/peek/", ENCODE_FOR_URI(?id))) AS ?w)
}
"""


TYPED = "?other a dorsum:Case ; dorsum:caseId ?id ."     # free patterns: caught after the batch ran
ANY = "?other ?anything ?id . ?other dorsum:caseId ?id ."  # a variable predicate: caught before it runs


@pytest.mark.parametrize("pattern, compare, sees", [(TYPED, "!=", False), (ANY, "!=", False), (TYPED, "=", True)],
                         ids=["another-case", "another-case-any-predicate", "control-its-own"])
def test_a_knowledge_base_rule_sees_only_the_case_it_runs_on(kb_copy, pattern, compare, sees):
    """A knowledge base passed with --kb is untrusted too, and a careless rule is as bad as a
    hostile one: a rule matching another case's data finds nothing, in any batch (the engine runs a
    batch one case at a time when a query could join two cases, see batch_isolation). The control
    (the same rule matching the case itself) shows the rule runs and fires."""
    from reasoner.pipeline import Classifier
    from reasoner.kb.knowledge_base import load_kb

    (kb_copy / "queries" / "rules" / "peek.rq").write_text(PEEK_RULE % (pattern, compare), encoding="utf-8")
    classifier = Classifier(load_kb(kb_copy))
    assert bool(classifier.engine.not_batchable) is (pattern == ANY)
    cases = [EXAMPLES / "growing-lump-adult.json", EXAMPLES / "lipoma-reassured.json", EXAMPLES / "unknown-growth.json"]
    results = classifier.classify_many(list(classifier.inputs(cases)))
    assert len(results) == 3 and all(r.ok for r in results)
    for r in results:
        peeked = [w for w in r.json["warnings"] if w["rule"].endswith("/rule/peek")]
        assert bool(peeked) is sees, (r.case_id, peeked)


def test_the_shipped_knowledge_base_runs_batches_together(classifier):
    """Every shipped query passes the isolation analysis, so batches keep their speed."""
    assert classifier.engine.not_batchable == {}


def test_dorsum_check_names_a_rule_that_could_join_two_cases(kb_copy):
    from click.testing import CliRunner

    from reasoner.cli import main

    (kb_copy / "queries" / "rules" / "peek.rq").write_text(PEEK_RULE % (ANY, "!="), encoding="utf-8")
    res = CliRunner().invoke(main, ["check", "--no-reasoner", "--kb", str(kb_copy)])
    lines = [line for line in res.output.splitlines() if "batch-isolation" in line]
    assert len(lines) == 1 and "rule/peek" in lines[0] and "WARN" in lines[0], res.output
