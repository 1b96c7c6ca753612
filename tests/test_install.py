"""A wheel gives a working `dorsum` outside the checkout (issue 15): the knowledge base travels
in it as package data (setup.py copies ontology/, shapes/, queries/, context/ to reasoner/_kb)
and is the default; `python -m reasoner` works; --kb still chooses another.

The wheel is installed with --no-deps into a fresh virtual environment whose only other entry on
sys.path is the test environment's site-packages (a .pth line, so its editable dorsum is not
picked up): resolving dependencies is pip's job and would need the network; what this checks is
that the wheel itself carries everything dorsum reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    # built from a copy of the sources, so a stale build/ directory of the checkout never ends up in it;
    # the build backend (setuptools, from pyproject's build-system) comes from the package index
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".pytest_cache", "tests", "node_modules"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp / "dist"), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    # no build warnings (licence metadata, package discovery, MANIFEST.in): setuptools' own notice that
    # pip turned byte-compiling off is not about this project
    warnings = [line.strip() for line in (built.stdout + built.stderr).splitlines()
                if (line.strip().lower().startswith("warning") or "Warning:" in line or "deprecat" in line.lower())
                and "byte-compiling is disabled" not in line and "Location 'file:" not in line]
    assert not warnings, warnings
    (wheel,) = (tmp / "dist").glob("dorsum-*.whl")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / "bin"
    site = subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp / "venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    shutil.move(str(tmp / "venv-deps.pth"), os.path.join(site, "venv-deps.pth"))
    env = {k: v for k, v in os.environ.items() if k not in ("DORSUM_KB", "PYTHONPATH")}
    # --force-reinstall: a dorsum of the same version seen through the .pth line (or a checkout's
    # egg-info on the path) must not stand in for the wheel
    subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--no-deps",
                    "--force-reinstall", "-q", str(wheel)], check=True, capture_output=True, timeout=300, cwd=tmp, env=env)
    work = tmp / "elsewhere"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "growing-lump-adult.json", work / "case.json")
    return bin_dir, work, env


def run(cmd, work, env):
    return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_command_classifies_with_the_installed_knowledge_base(installed, kb):
    bin_dir, work, env = installed
    res = run([str(bin_dir / "dorsum"), "classify", "case.json"], work, env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["status"] == "classified" and out["urgency"]
    assert out["knowledge_base"]["sha256"] == kb.sha256  # the same knowledge base as the checkout's
    where = run([str(bin_dir / "python"), "-c", "import reasoner, reasoner.kb.paths as p; "
                 "print(reasoner.__file__); print(p.default_root())"], work, env).stdout.split()
    assert str(ROOT) not in where[0] and where[1].endswith(os.path.join("reasoner", "_kb")), where


def test_python_dash_m_reasoner_and_kb_still_choose(installed, kb_copy):
    bin_dir, work, env = installed
    assert run([str(bin_dir / "python"), "-m", "reasoner", "--version"], work, env).returncode == 0
    res = run([str(bin_dir / "python"), "-m", "reasoner", "classify", "--kb", str(kb_copy), "case.json"], work, env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["status"] == "classified"


def test_the_wheel_carries_the_pages_of_dorsum_serve(installed):
    """reasoner/serve/static travels as package data: the query page always, and the browser assets
    that `make web` vendored when they were there at build time."""
    bin_dir, work, env = installed
    code = ("import json, pathlib, reasoner.serve.pages as p; s = p.STATIC; "
            "print(json.dumps([(s / 'editor.html').is_file(), (s / 'editor.js').is_file(), p.installed('editor')]))")
    out = run([str(bin_dir / "python"), "-c", code], work, env)
    assert out.returncode == 0, out.stderr
    page, script, vendored = json.loads(out.stdout)
    assert page and script
    assert vendored == (ROOT / "reasoner" / "serve" / "static" / "vendor" / "yasgui" / "yasgui.min.js").is_file()
