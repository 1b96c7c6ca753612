"""Build hook: the knowledge base (ontology/, shapes/, queries/, context/) stays at the top of the
repository, where knowledge engineers edit it, and is copied into the wheel as the package data
reasoner/_kb/, which an installed dorsum uses by default (reasoner/kb/paths.py). Everything else is
in pyproject.toml."""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

KB_DIRS = ("ontology", "shapes", "queries", "context")
HERE = Path(__file__).resolve().parent


class BuildWithKnowledgeBase(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "reasoner" / "_kb"
        shutil.rmtree(target, ignore_errors=True)
        for name in KB_DIRS:
            shutil.copytree(HERE / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithKnowledgeBase})
