"""Shared fixtures: one loaded knowledge base and classifier per test session (loading is the slow
part; classification itself never mutates them)."""

from __future__ import annotations

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


@pytest.fixture
def kb_copy(tmp_path):
    """A temporary copy of the knowledge base that a test may break."""
    dst = tmp_path / "kb"
    for d in ("ontology", "shapes", "queries", "context"):
        shutil.copytree(ROOT / d, dst / d)
    return dst


def requires_java():
    return pytest.mark.skipif(shutil.which("java") is None,
                              reason="needs Java for the HermiT reasoner (install default-jre-headless)")
