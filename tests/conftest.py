"""Shared fixtures: one loaded knowledge base and classifier per test session (loading is the slow
part; classification itself never mutates them)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VIGNETTES = sorted((ROOT / "tests" / "vignettes").glob("*.json"))


@pytest.fixture(scope="session")
def kb():
    from reasoner.kb.knowledge_base import load_kb
    return load_kb(ROOT)


@pytest.fixture(scope="session")
def classifier(kb):
    from reasoner.pipeline import Classifier
    return Classifier(kb)


@pytest.fixture
def classify_case(classifier, tmp_path):
    """Classify one flat JSON case (a dict) and return its CaseResult."""
    def run(case: dict, name: str = "case.json"):
        f = tmp_path / name
        f.write_text(json.dumps(case), encoding="utf-8")
        results = list(classifier.classify_paths([f]))
        assert len(results) == 1
        return results[0]
    return run


def copy_kb(dst: Path) -> Path:
    """Copy the knowledge base's files to `dst` (for module-scoped copies that several tests
    share: one copy, one edit, one load or one CLI run, each test asserting its part)."""
    for d in ("ontology", "shapes", "queries", "context"):
        shutil.copytree(ROOT / d, dst / d)
    return dst


@pytest.fixture
def kb_copy(tmp_path):
    """A temporary copy of the knowledge base that a test may break."""
    return copy_kb(tmp_path / "kb")


def kb_content_key(root: Path) -> str | None:
    """sha256 of every file of a knowledge-base directory (relative path and bytes): two copies
    with the same key hold the same knowledge base. None when `root` is not one."""
    root = Path(root)
    if not (root / "ontology").is_dir():
        return None
    h = hashlib.sha256()
    for d in ("ontology", "shapes", "queries", "context"):
        for p in sorted((root / d).rglob("*")):
            if p.is_file():
                h.update(p.relative_to(root).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


_CHECK_REPORTS: dict = {}


@pytest.fixture
def shared_check_reports(monkeypatch):
    """`dorsum check` (and `dorsum verify`, which first runs `dorsum check --no-reasoner` over the
    knowledge base a manifest names) costs a pySHACL validation and every QA query. Its report
    depends only on the knowledge base's files, so, for tests that are not about the check's own
    findings of the shipped files, it is computed once per distinct knowledge-base content (per
    test process) and shared, like the engine's own content-keyed cache: an edited copy still gets
    its own, real check. A report shared with another directory is given that directory's own
    loaded knowledge base (its root, which `dorsum check` prints)."""
    import dataclasses

    import reasoner.qa.check as check
    import reasoner.repro.verify as verify
    from reasoner.kb.knowledge_base import kb_paths, load_kb

    real = check.run_check

    def shared(repoint: bool):
        def run_check(root=None, reasoner: bool = True):
            key = kb_content_key(root) if root is not None else None
            if key is None:
                return real(root, reasoner=reasoner)
            if (key, reasoner) not in _CHECK_REPORTS:
                _CHECK_REPORTS[key, reasoner] = real(root, reasoner=reasoner)
            report = _CHECK_REPORTS[key, reasoner]
            if repoint and report.kb is not None and report.kb.paths.root != kb_paths(root).root:
                report = dataclasses.replace(report, kb=load_kb(root))
            return report
        return run_check

    monkeypatch.setattr(check, "run_check", shared(repoint=True))  # the CLI imports it when the command runs
    monkeypatch.setattr(verify, "run_check", shared(repoint=False))  # verify uses only the findings


def requires_java():
    return pytest.mark.skipif(shutil.which("java") is None,
                              reason="needs Java for the HermiT reasoner (install default-jre-headless)")


# Tests that share an expensive session fixture (a running dorsum serve and Chromium, a Spark JVM,
# a Virtuoso server) run in one pytest-xdist worker (`make test` uses --dist loadgroup), so the
# fixture starts once per run instead of once per worker.
XDIST_GROUPS = {"browser": "browser", "test_spark.py": "spark", "test_remote_store.py": "virtuoso"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        group = XDIST_GROUPS.get(parts[0])
        if group:
            item.add_marker(pytest.mark.xdist_group(name=group))
