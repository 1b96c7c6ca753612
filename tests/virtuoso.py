"""A temporary Virtuoso Open Source server (Debian's virtuoso-opensource, installed by `make virtuoso`)
for the remote-store tests (tests/test_remote_store.py) and bench/virtuoso_bench.py.

`Virtuoso()` is a context manager: a new database in a temporary directory, the SQL and HTTP
servers on free loopback ports, a user `dorsum` with a fresh random password that may write graphs
(GRANT SPARQL_UPDATE), so that the Graph Store endpoint /sparql-graph-crud-auth takes it by HTTP
Digest; stopped and deleted afterwards. Making a database takes Virtuoso 20-40 s, so the first
one is kept as a template in the dorsum cache directory and copied for every later server (a few
seconds). The `virtuoso` fixture is one server per test session (per xdist worker); without
Virtuoso the tests that use it are skipped, saying why, or fail under DORSUM_REQUIRE_VIRTUOSO=1.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import httpx
import pytest

INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {dirs}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 8
MaxClientConnections = 8
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def unavailable(why: str):
    """Skip, or fail when the environment says the Virtuoso tests must run (CI)."""
    if os.environ.get("DORSUM_REQUIRE_VIRTUOSO") == "1":
        pytest.fail(f"{why} (DORSUM_REQUIRE_VIRTUOSO=1: the Virtuoso tests must run)", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_dir() -> Path:
    base = os.environ.get("DORSUM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dorsum")
    return Path(base) / "virtuoso"


class Virtuoso:
    """One temporary server. Attributes: http (base URL), sparql (query endpoint), crud_auth (the
    Graph Store endpoint behind Digest authentication), user and password (of the `dorsum` user),
    tmp (a directory the server may read files from: DirsAllowed, for ld_dir)."""

    def __init__(self, buffers: int = 20000, template: bool = True):
        self.buffers, self.template = buffers, template
        self.proc: subprocess.Popen | None = None
        self.user, self.password = "dorsum", secrets.token_urlsafe(16)

    def __enter__(self) -> "Virtuoso":
        binary = virtuoso_binary()
        if not binary:
            raise FileNotFoundError("virtuoso-t not found: run `make virtuoso` (apt-get install virtuoso-opensource)")
        self.tmp = Path(tempfile.mkdtemp(prefix="dorsum-virtuoso-"))
        try:
            db = self.tmp / "db"
            db.mkdir()
            if self.template:
                shutil.copy(self._template(binary), db / "virtuoso.db")
            self._start(binary, db)
            self.isql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); GRANT SPARQL_UPDATE TO \"{self.user}\";")
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self, binary: str, db: Path) -> None:
        self.sql_port, self.http_port = free_port(), free_port()
        ini = db / "virtuoso.ini"
        ini.write_text(INI.format(db=db, sql_port=self.sql_port, http_port=self.http_port, dirs=self.tmp,
                                  buffers=self.buffers, dirty=self.buffers * 3 // 4), encoding="utf-8")
        self.log = open(db / "server.log", "w+b")
        self.proc = subprocess.Popen([binary, "+foreground", "+configfile", str(ini)], cwd=db,
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.http = f"http://127.0.0.1:{self.http_port}"
        self.sparql, self.crud_auth = self.http + "/sparql", self.http + "/sparql-graph-crud-auth"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.sparql, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        self.log.seek(0)
        raise RuntimeError("Virtuoso did not start: " + self.log.read().decode("utf-8", "replace")[-2000:])

    def _template(self, binary: str) -> Path:
        """A pristine database file, made once per Virtuoso binary and kept in the cache directory."""
        st = os.stat(binary)
        target = cache_dir() / f"template-{st.st_size}-{int(st.st_mtime)}.db"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / "template.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two xdist workers: one makes it, the other waits
            if not target.exists():
                build = self.tmp / "template"
                build.mkdir()
                self._start(binary, build)
                self.isql("checkpoint; shutdown;", check=False)
                self._wait_stopped()
                shutil.copy(build / "virtuoso.db", target.with_suffix(".tmp"))
                os.replace(target.with_suffix(".tmp"), target)
                shutil.rmtree(build, ignore_errors=True)
        return target

    def isql(self, sql: str, check: bool = True) -> str:
        """Run SQL as dba through isql-vt; its output."""
        run = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                             capture_output=True, text=True, timeout=600)
        if check and (run.returncode != 0 or "*** Error" in run.stdout + run.stderr):
            raise RuntimeError(f"isql failed on {sql!r}: {run.stdout[-1500:]} {run.stderr[-1500:]}")
        return run.stdout

    def _wait_stopped(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
        self._wait_stopped()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self) -> dict:
        """The environment a dorsum command needs to write into this server."""
        return {**os.environ, "DORSUM_STORE_USER": self.user, "DORSUM_STORE_PASSWORD": self.password}

    def select(self, query: str) -> dict:
        """A SELECT's SPARQL JSON results from the server's /sparql endpoint (SPARQLWrapper, POST)."""
        from SPARQLWrapper import JSON, POST, SPARQLWrapper

        w = SPARQLWrapper(self.sparql)
        w.setQuery(query)
        w.setMethod(POST)
        w.setReturnFormat(JSON)
        return w.query().convert()


def normalised(results: dict) -> list[tuple]:
    """Rows as sorted tuples of values; numbers compared as numbers (Virtuoso writes a MIN over
    integers as a decimal)."""
    def value(term):
        if term is None:
            return None
        if term.get("datatype", "").startswith("http://www.w3.org/2001/XMLSchema#"):
            try:
                return Decimal(term["value"]).normalize()
            except InvalidOperation:
                pass
        return term["value"]
    names = results["head"]["vars"]
    return sorted((tuple(str(value(row.get(v))) for v in names) for row in results["results"]["bindings"]))


@pytest.fixture(scope="session")
def virtuoso():
    """A running temporary Virtuoso for this test session (skipped, saying why, without one)."""
    if not virtuoso_binary():
        unavailable("Virtuoso not found: run `make virtuoso` (apt-get install virtuoso-opensource) to run these tests")
    if not shutil.which("isql-vt"):
        unavailable("isql-vt not found: Debian's virtuoso-opensource package provides it (make virtuoso)")
    with Virtuoso() as server:
        yield server
