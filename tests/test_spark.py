"""dorsum on Apache Spark (issue 19), in Spark local mode: classify_dataframe gives, for every case of
tests/vignettes and tests/invalid-cases, the row `dorsum classify` gives for that case (its JSON
result, the flat columns derived from it, and the canonical N-Quads of its result graph); a
malformed line and a case that makes the classifier raise are rows with their errors; `dorsum spark`
turns JSON Lines into Parquet partitioned by the column the user names, with a run manifest.

One SparkSession (one JVM) per test process, local[2]. Skipped only when PySpark is not installed."""

from __future__ import annotations

import io
import json

import pytest

from conftest import ROOT, VIGNETTES

INVALID = sorted((ROOT / "tests" / "invalid-cases").glob("*.json"))
CASES = VIGNETTES + INVALID
MALFORMED = '{"id": "broken", "patient": '


def _have_pyspark() -> bool:
    try:
        import pyspark  # noqa: F401
        return True
    except ImportError:
        return False


needs_pyspark = pytest.mark.skipif(not _have_pyspark(), reason="PySpark is not installed: pip install 'dorsum[spark]' "
                                                                "(make install installs it with the test tools)")


@pytest.fixture(scope="session")
def spark():
    from reasoner.spark import local_session

    session = local_session("local[2]", "dorsum-tests", **{"spark.default.parallelism": "2"})
    yield session
    session.stop()


def what_classify_writes(clf, path, fmt: str) -> str:
    """What `dorsum classify PATH --format FMT` writes (the command's own writer)."""
    from reasoner.classify_output import write_classification

    out = io.StringIO()
    write_classification(clf, [str(path)], fmt, out)
    return out.getvalue()


@needs_pyspark
def test_rows_equal_what_dorsum_classify_gives(spark, classifier):
    from reasoner.spark import classify_dataframe
    from reasoner.spark.columns import columns, kind_values

    texts = [json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in CASES] + [MALFORMED]
    df = spark.createDataFrame([(t,) for t in texts], "case string")
    rows = [r.asDict() for r in classify_dataframe(df, ROOT).orderBy("position").collect()]

    kinds = classifier.kb.result_kinds
    assert [r["position"] for r in rows] == list(range(len(texts)))
    assert list(rows[0]) == [name for name, _ in columns(kinds)]
    for k in kinds.shown:  # a column for every kind of conclusion the knowledge base declares
        assert (f"{k.json_key}_{k.item_key}" if k.single else k.json_key) in rows[0]
    for path, row in zip(CASES, rows):
        expected = json.loads(what_classify_writes(classifier, path, "json"))
        assert json.loads(row["result_json"]) == expected, path.name
        assert row["case_id"] == expected["case"] and row["status"] == expected["status"]
        flat = [row[name] for name, _ in columns(kinds)[7:-5]]
        assert flat == kind_values(expected, kinds), path.name
        assert row["kb_version"] == classifier.kb.version and row["kb_sha256"] == classifier.kb.sha256
        assert row["nquads"] == what_classify_writes(classifier, path, "nquads"), path.name
    assert {r["status"] for r in rows[len(VIGNETTES):len(CASES)]} == {"invalid"}
    assert all(r["errors"] for r in rows[len(VIGNETTES):len(CASES)])
    broken = rows[-1]
    assert broken["status"] == "invalid" and broken["case_id"] == f"row {len(texts) - 1}"
    assert any("malformed JSON" in e for e in broken["errors"])


def test_a_case_the_classifier_raises_on_is_an_error_row(classifier):
    """The executor's code on its own: a chunk that raises is classified case by case, and the case
    that raises alone gives a row with status error and the message; the others are unaffected."""
    from reasoner.spark.executor import classify_chunk

    class Flaky:
        def __init__(self, real):
            self.real, self.kb, self.ctx, self.view = real, real.kb, real.ctx, real.view

        def classify_many(self, inputs):
            if any(ci.case_id == "adult-growing-lump" for ci in inputs):
                raise RuntimeError("engine exploded")
            return self.real.classify_many(inputs)

    paths = [ROOT / "tests" / "vignettes" / n for n in ("adult-deep-lump-alone.json", "adult-growing-lump.json")]
    rows = classify_chunk(Flaky(classifier), [(i, f"row {i}", i + 1, p.read_text(encoding="utf-8"))
                                              for i, p in enumerate(paths)])
    assert [r[3] for r in rows] == ["classified", "error"]
    assert rows[1][2] == "adult-growing-lump" and "engine exploded" in rows[1][4][0]
    assert json.loads(rows[1][-2])["status"] == "error" and rows[1][-1] is None


def test_a_new_kind_of_conclusion_is_a_new_column(kb):
    from dataclasses import replace

    from reasoner.kb.result_kinds import ResultKinds
    from reasoner.spark.columns import columns, kind_values

    base = kb.result_kinds
    extra = replace(base.shown[-1], json_key="follow_ups", item_key="follow_up", order=999)
    kinds = ResultKinds(base.all + (extra,))
    assert ("follow_ups", "array<string>") in columns(kinds)
    assert kind_values({"follow_ups": [{"follow_up": "recall-6-weeks"}]}, kinds)[-1] == ["recall-6-weeks"]


@needs_pyspark
def test_dorsum_spark_writes_partitioned_parquet_and_a_manifest(spark, tmp_path):
    from click.testing import CliRunner

    from reasoner.cli import main
    from reasoner.repro.run_manifest import sha256_file

    lines = [json.dumps(json.loads(p.read_text(encoding="utf-8"))) for p in VIGNETTES[:6] + INVALID[:1]]
    src = tmp_path / "in" / "cases.jsonl"
    src.parent.mkdir()
    src.write_text("\n".join(lines[:3] + ["", MALFORMED] + lines[3:]) + "\n", encoding="utf-8")
    out, manifest = tmp_path / "results", tmp_path / "run.json"
    args = ["spark", str(src.parent), "--out", str(out), "--partition-by", "urgency_level", "--master", "local[2]",
            "--manifest", str(manifest), "--kb", str(ROOT)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output  # the malformed line and the invalid case
    rows = [r.asDict() for r in spark.read.parquet(str(out)).orderBy("position").collect()]
    assert len(rows) == len(lines) + 1
    assert [r["source"] for r in rows][:5] == [f"{src.parent}/cases.jsonl:{n}" for n in (1, 2, 3, 5, 6)]
    assert rows[3]["status"] == "invalid" and rows[3]["case_id"] == f"{src.parent}/cases.jsonl:5"
    parts = {p.name for p in out.iterdir() if p.is_dir()}
    assert parts and all(p.startswith("urgency_level=") for p in parts)
    assert {r["urgency_level"] for r in rows if r["status"] == "classified"} <= {p.split("=", 1)[1] for p in parts}

    doc = json.loads(manifest.read_text(encoding="utf-8"))
    assert doc["command"] == "spark" and doc["options"]["partition_by"] == ["urgency_level"]
    assert doc["inputs"]["files"] == {"in/cases.jsonl": sha256_file(src)}
    assert doc["knowledge_base"]["sha256"] == rows[0]["kb_sha256"] and doc["knowledge_base"]["files"]
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.parquet")}
    assert written and written <= set(doc["output"]["files"])
    assert all(doc["output"]["files"][f]["sha256"] == sha256_file(out / f) for f in written)
    assert doc["output"]["rows"] == len(rows) and doc["output"]["invalid"] == 2

    checked = CliRunner().invoke(main, ["verify", str(manifest)])  # refused, saying how to check such a run
    assert checked.exit_code == 2 and "only 'classify' and 'load' runs can be re-run" in checked.output
    assert "result_sha256" in checked.output

    again = CliRunner().invoke(main, args)  # --out exists: refused, nothing overwritten
    assert again.exit_code == 2 and "already exists" in again.output
    bad = CliRunner().invoke(main, [*args[:3], str(tmp_path / "other"), "--partition-by", "actions"])
    assert bad.exit_code == 2 and "list column" in bad.output

    # Parquet in (the cases in a string column named by --json-column), Parquet out
    spark.createDataFrame([(lines[0],), (lines[-1],)], "referral string").write.parquet(str(tmp_path / "pq"))
    pq = CliRunner().invoke(main, ["spark", str(tmp_path / "pq"), "--out", str(tmp_path / "pq-out"),
                                   "--json-column", "referral", "--master", "local[2]"])
    assert pq.exit_code == 1, pq.output  # lines[-1] is the invalid case
    got = spark.read.parquet(str(tmp_path / "pq-out")).collect()  # a Parquet input's row order is Spark's
    assert sorted((r["case_id"], r["status"]) for r in got) == sorted([(rows[0]["case_id"], "classified"),
                                                                        (rows[-1]["case_id"], "invalid")])


def test_without_pyspark_the_command_names_the_extra(monkeypatch):
    import sys

    from click.testing import CliRunner

    from reasoner.cli import main

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    for args in (["spark", "--help"], ["spark", "x.jsonl", "--out", "y"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "pip install 'dorsum[spark]'" in result.output
