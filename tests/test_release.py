"""`make release VERSION=x.y.z` (reasoner/repro/release.py, issue 15): a release sets the knowledge
base's owl:versionInfo and owl:versionIRI, the package version and CITATION.cff, writes a
CHANGELOG entry whose body is the behaviour diff against the previous release on the test cases,
commits and tags; it refuses a dirty checkout, a version not above the last release, a taken tag
and a knowledge base that fails dorsum check, changing nothing."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT
from reasoner.repro.release import ReleaseRefused, ontology_version, release, set_versions

CHANGED_CASE = "safety-child-firm-4cm-stable"  # a 4 cm firm lump in a child: size is a red flag at 3 cm, not at 5 cm
OTHER_CASE = "adult-growing-lump"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A checkout with release v0.1.0 tagged, then a commit that moves the children's size threshold."""
    cfg = tmp_path / "gitconfig"
    cfg.write_text("[user]\n\tname = dorsum tests\n\temail = tests@dorsum.invalid\n[commit]\n\tgpgsign = false\n"
                   "[tag]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    root = tmp_path / "checkout"
    for d in ("ontology", "shapes", "queries", "context"):
        shutil.copytree(ROOT / d, root / d)
    (root / "tests" / "vignettes").mkdir(parents=True)
    for case in (CHANGED_CASE, OTHER_CASE):
        shutil.copy(ROOT / "tests" / "vignettes" / f"{case}.json", root / "tests" / "vignettes")
    (root / "reasoner").mkdir()
    shutil.copy(ROOT / "reasoner" / "__init__.py", root / "reasoner" / "__init__.py")
    shutil.copy(ROOT / "CITATION.cff", root / "CITATION.cff")
    set_versions(root, "0.1.0")  # whatever the checkout's own version is now

    def git(*args):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "0.1.0")
    git("tag", "-a", "v0.1.0", "-m", "0.1.0")
    th = root / "ontology" / "thresholds.ttl"
    text = th.read_text()
    start = text.index("dorsum:threshold-red-flag-size-cm ")
    th.write_text(text[:start] + text[start:].replace('dorsum:thresholdValue "3"^^xsd:decimal',
                                                      'dorsum:thresholdValue "5"^^xsd:decimal', 1))
    git("commit", "-q", "-am", "children's size threshold 5 cm")
    return root, git


def test_a_release_sets_the_versions_writes_the_behaviour_diff_and_tags(repo):
    root, git = repo
    assert release(root, "0.2.0") == "v0.2.0"
    _, info, iri = ontology_version(root)
    assert info == "0.2.0" and str(iri) == "https://w3id.org/dorsum/ontology/0.2.0"
    assert '__version__ = "0.2.0"' in (root / "reasoner" / "__init__.py").read_text()
    cff = (root / "CITATION.cff").read_text()
    assert 'version: "0.2.0"' in cff and "date-released:" in cff
    log = (root / "CHANGELOG.md").read_text()
    entry = log[log.index("## 0.2.0"):]
    assert "against v0.1.0" in entry and CHANGED_CASE in entry and OTHER_CASE not in entry
    assert "ontology/thresholds.ttl" in entry
    tags = subprocess.run(["git", "tag", "--points-at", "HEAD"], cwd=root, capture_output=True, text=True).stdout.split()
    assert tags == ["v0.2.0"]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout
    assert status == ""  # everything the release changed is in its commit


@pytest.mark.parametrize("version, why", [("0.2", "is not x.y.z"), ("0.1.0", "exists already"),
                                          ("0.0.9", "not above the last release")])
def test_a_bad_version_is_refused(repo, version, why):
    root, _ = repo
    with pytest.raises(ReleaseRefused, match=why):
        release(root, version, run_check=False)
    assert ontology_version(root)[1] == "0.1.0"


def test_a_dirty_checkout_or_a_failing_check_is_refused_and_nothing_changes(repo):
    root, git = repo
    diagnoses = root / "ontology" / "diagnoses.ttl"
    original = diagnoses.read_text()
    diagnoses.write_text(original.replace('rdfs:label "dermatofibroma"@en ;', "", 1))
    with pytest.raises(ReleaseRefused, match="uncommitted changes"):
        release(root, "0.2.0")
    git("commit", "-q", "-am", "a concept without a label")
    with pytest.raises(ReleaseRefused, match="dorsum check fails: .*dx-dermatofibroma"):
        release(root, "0.2.0")
    assert ontology_version(root)[1] == "0.1.0" and not (root / "CHANGELOG.md").exists()
    assert subprocess.run(["git", "tag", "--list", "v0.2.0"], cwd=root, capture_output=True, text=True).stdout == ""
