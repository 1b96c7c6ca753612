"""Store safety (issue 14, items 4, 10, 11): a read never creates, repairs or wipes a store; only
`dorsum load` makes one, and only in a new or empty directory; a damaged store gets a clear error
and is left byte for byte as it was; `dorsum query` runs under the endpoint workers' memory and
time limits; `dorsum classify` never reads its own output as input."""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from reasoner.cli import main

EXAMPLE = ROOT / "examples" / "growing-lump-adult.json"
FULL_SCAN = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
# every quad against every quad, sorted: gigabytes for even a few cases
HUGE_SORT = "SELECT ?a ?b ?c ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def cli(*args, timeout=120):
    """The command as a user runs it, in its own process (a hang fails the test, it does not hang it)."""
    return subprocess.run([sys.executable, "-m", "reasoner.cli", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def snapshot(directory: Path) -> dict:
    """Every file under the directory: its size and SHA-256."""
    return {str(p.relative_to(directory)): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(directory.rglob("*")) if p.is_file()}


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small store of six cases, loaded once; tests copy it before they break it."""
    tmp = tmp_path_factory.mktemp("safety")
    src = tmp / "cases.jsonl"
    case = json.loads(EXAMPLE.read_text())
    src.write_text("".join(json.dumps(dict(case, id=f"c{i}")) + "\n" for i in range(6)))
    store = tmp / "store"
    res = invoke("load", src, "--store", store)
    assert res.exit_code == 0, res.output
    return store


@pytest.fixture
def store(built, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(built, copy)
    return copy


def test_query_on_a_store_without_CURRENT_fails_every_time_and_changes_no_byte(store):
    (store / "CURRENT").unlink()
    before = snapshot(store)
    for _ in range(2):  # the second run used to wipe the data files and answer an empty result, exit 0
        res = invoke("query", "--name", "cases-by-urgency", "--store", store)
        assert res.exit_code == 2, res.output
        line = one_line_error(res.output)
        assert f"the store at {store} is damaged" in line and "CURRENT" in line and "left as it is" in line
        assert snapshot(store) == before


def test_query_on_a_directory_that_is_not_a_store_changes_nothing(tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("not a store\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    for directory, said in ((other, "is not a dorsum store"), (empty, "is an empty directory")):
        before = snapshot(directory)
        for _ in range(2):
            res = invoke("query", "--name", "cases-by-urgency", "--store", directory)
            assert res.exit_code == 2, res.output
            line = one_line_error(res.output)
            assert str(directory) in line and said in line and "CURRENT, MANIFEST-* and OPTIONS-*" in line
        assert snapshot(directory) == before and sorted(p.name for p in directory.iterdir()) == sorted(before)
    missing = tmp_path / "missing"
    res = invoke("query", "--name", "cases-by-urgency", "--store", missing)
    assert res.exit_code == 2 and f"no store at {missing}" in one_line_error(res.output)
    assert not missing.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_refuses_what_is_not_a_store_and_a_damaged_store(store, tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("not a store\n")
    (store / "CURRENT").unlink()
    missing = tmp_path / "missing"
    for directory, said in ((other, "is not a dorsum store"), (store, "is damaged"), (missing, "no store at")):
        before = snapshot(directory) if directory.exists() else None
        res = cli("serve", "--store", directory, "--port", free_port(), timeout=90)  # used to start serving
        assert res.returncode == 2, res.stdout + res.stderr
        line = one_line_error(res.stderr)
        assert str(directory) in line and said in line
        assert (snapshot(directory) if directory.exists() else None) == before


def test_the_server_never_opens_a_directory_that_is_not_a_store(tmp_path, store):
    """The server opens its store writable (POST /classify?store=true writes): that open, too,
    refuses a directory that is not a store instead of making it one."""
    from reasoner.store.case_store import StoreUnusable, open_store

    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    for directory in (other, tmp_path / "missing"):
        with pytest.raises(StoreUnusable):
            open_store(directory)
    assert not (tmp_path / "missing").exists() and [p.name for p in other.iterdir()] == ["notes.txt"]
    (store / "CURRENT").unlink()
    before = snapshot(store)
    with pytest.raises(StoreUnusable, match="is damaged"):
        open_store(store)
    assert snapshot(store) == before


def test_load_makes_a_store_only_in_a_new_or_empty_directory(tmp_path, store):
    new, empty = tmp_path / "new" / "store", tmp_path / "empty"
    empty.mkdir()
    for directory in (new, empty):
        res = invoke("load", EXAMPLE, "--store", directory)
        assert res.exit_code == 0, res.output
        assert (directory / "CURRENT").is_file()
        res = invoke("query", "--name", "cases-by-urgency", "--store", directory, "--format", "csv")
        assert res.exit_code == 0 and len(res.output.splitlines()) == 2, res.output  # header and the one case
    other = tmp_path / "notes"
    other.mkdir()
    (other / "notes.txt").write_text("not a store\n")
    before = snapshot(other)
    res = invoke("load", EXAMPLE, "--store", other)
    assert res.exit_code == 2, res.output
    line = one_line_error(res.output)
    assert str(other) in line and "neither empty nor a dorsum store" in line and "new or empty directory" in line
    assert snapshot(other) == before
    (store / "CURRENT").unlink()
    before = snapshot(store)
    res = invoke("load", EXAMPLE, "--store", store)
    assert res.exit_code == 2 and "is damaged" in one_line_error(res.output), res.output
    assert snapshot(store) == before


def corrupt_data_files(store: Path) -> None:
    """Scramble 256 bytes in the middle of every sizeable data file (a data block: the store still
    opens, as the index blocks at each file's end are intact, but a full scan reads bad blocks)."""
    files = [p for p in store.glob("*.sst") if p.stat().st_size > 10_000]
    assert files
    for p in files:
        data = bytearray(p.read_bytes())
        middle = len(data) // 2
        data[middle:middle + 256] = bytes((b ^ 0x5A) for b in data[middle:middle + 256])
        p.write_bytes(bytes(data))


def test_query_on_a_corrupted_data_file_says_the_store_is_damaged_and_changes_nothing(store, tmp_path):
    corrupt_data_files(store)
    before = snapshot(store)
    q = tmp_path / "scan.rq"
    q.write_text(FULL_SCAN)
    res = invoke("query", q, "--store", store, "--format", "csv")
    assert res.exit_code == 2, res.output  # used to end in a traceback
    line = one_line_error(res.output)
    assert f"the store at {store} is damaged" in line and "Corruption" in line and "restore a backup" in line
    assert snapshot(store) == before


def test_the_cli_query_runs_under_the_query_workers_memory_and_time_limits():
    import reasoner.query.limits as ql
    from reasoner.cli.query_cmd import query_cmd
    from reasoner.cli.serve_cmd import serve_cmd
    from reasoner.query.workers import WorkerPool
    from reasoner.serve.app import Settings

    default = {p.name: p.default for p in query_cmd.params}["timeout"]
    assert default == ql.TIMEOUT == {p.name: p.default for p in serve_cmd.params}["timeout"]
    assert ql.MEMORY_LIMIT == inspect.signature(WorkerPool).parameters["memory_limit"].default \
        == inspect.signature(Settings).parameters["memory_limit"].default == 2 * 1024 ** 3


def test_a_query_that_outgrows_the_memory_limit_is_stopped_with_a_clear_error(built, tmp_path, monkeypatch):
    """The full scan of a damaged store that grew to several GB could not be reproduced with a
    corrupted file (RocksDB's checksums catch each one tried); a query that needs gigabytes stands
    in for it: the CLI path stops it at the limit (1 GiB here, 2 GiB by default) and says so."""
    import reasoner.query.limits as ql

    monkeypatch.setattr(ql, "MEMORY_LIMIT", 1024 ** 3)
    q = tmp_path / "huge.rq"
    q.write_text(HUGE_SORT)
    start = time.monotonic()
    res = invoke("query", q, "--store", built, "--format", "csv", "--timeout", "120")
    assert time.monotonic() - start < 100
    assert res.exit_code == 1, res.output
    line = one_line_error(res.output)
    assert "1 GiB memory limit" in line and f"the store at {built} is damaged" in line


def test_a_query_over_the_time_limit_is_stopped(built, tmp_path):
    q = tmp_path / "endless.rq"
    q.write_text(ENDLESS)
    start = time.monotonic()
    res = invoke("query", q, "--store", built, "--timeout", "1")
    assert time.monotonic() - start < 30
    assert res.exit_code == 1, res.output
    assert "exceeded the 1 s time limit" in one_line_error(res.output)


def test_the_query_is_unchanged_under_the_limits(built):
    res = invoke("query", "--name", "cases-by-urgency", "--store", built, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0] == "level,cases" and res.output.splitlines()[1].endswith(",6")


def case_dir(tmp_path) -> Path:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ("growing-lump-adult.json",):
        shutil.copy(ROOT / "examples" / name, cases / name)
    for name in ("adult-deep-lump-alone.json", "adult-deep-suspected-lipoma.json"):
        shutil.copy(ROOT / "tests" / "vignettes" / name, cases / name)
    return cases


def test_classify_refuses_an_output_inside_its_input_directory(tmp_path):
    """`dorsum classify DIR -o DIR/results.jsonl` read its own output as input and never ended.
    It is refused (exit 2, nothing written); written elsewhere, there is one result per case."""
    cases = case_dir(tmp_path)
    before = snapshot(cases)
    res = cli("classify", cases, "-o", cases / "results.jsonl", timeout=60)
    assert res.returncode == 2, res.stderr[-2000:]
    line = one_line_error(res.stderr)
    assert str(cases / "results.jsonl") in line and f"inside the input directory {cases}" in line
    assert snapshot(cases) == before
    out = tmp_path / "results.jsonl"
    res = cli("classify", cases, "-o", out)
    assert res.returncode == 0, res.stderr[-2000:]
    ids = [json.loads(line)["case"] for line in out.read_text().splitlines()]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_classify_and_load_refuse_an_output_that_is_an_input_or_would_be_read_as_one(tmp_path):
    cases = case_dir(tmp_path)
    before = snapshot(cases)
    one = cases / "growing-lump-adult.json"
    for args, said in ((("classify", one, "-o", one), "is also an input"),
                       (("classify", cases, "-o", cases / "sub" / "results.jsonl"), "inside the input directory"),
                       (("classify", cases, "-o", tmp_path / "out.jsonl", "--manifest", cases / "run.json"),
                        "the manifest"),
                       (("load", cases, "--store", tmp_path / "store", "--manifest", cases / "run.json"),
                        "the manifest")):
        res = invoke(*args)
        assert res.exit_code == 2, res.output
        assert said in one_line_error(res.output)
    assert snapshot(cases) == before and not (tmp_path / "store").exists()
    res = invoke("classify", cases, "-o", cases / "results.txt")  # not a case file: never read as input
    assert res.exit_code == 0, res.output
    assert len((cases / "results.txt").read_text().splitlines()) == 3
