"""`make web`'s second step: copy the few browser files dorsum serve needs out of web/node_modules
(installed by `npm ci` from web/package-lock.json) into reasoner/serve/static/vendor/<name>/, with
each package's licence. Only the files listed here are served, so an audit covers them all; the
pages are served from dorsum itself and never ask a CDN for anything at run time.

Audit of the vendored files for requests to other hosts (what the pages switch off):
- YASGUI 4.6.2 (@zazuko/yasgui, one bundle with YASQE, YASR and their libraries): the default
  endpoint is https://dbpedia.org/sparql and the endpoint catalogue lists DBpedia and Wikidata
  (editor.js sets the same-origin /sparql and an empty catalogue); the `class` and `property`
  autocompleters fetch lov.linkeddata.es (editor.js keeps only `variables` and `prefixes`); the
  `prefixes` autocompleter fetches config.prefixCcApi, null by default (kept null: its list is
  built in); a CORS probe is sent only with a corsProxy (none set). The CSS has no url() to
  another host and no @import; the bundle ships no fonts and no analytics. YASGUI also keeps
  queries and results in localStorage (editor.js turns persistence off: results are case data).
- Swagger UI 5.35.0 (swagger-ui-dist): the validator badge posts the spec to
  https://validator.swagger.io (pages.py passes validatorUrl null); FastAPI's default page takes
  the bundle from cdn.jsdelivr.net and its favicon from fastapi.tiangolo.com (pages.py serves
  both from /static/vendor/swagger-ui). npm's dependency @scarf/scarf is install-time analytics:
  `npm ci --ignore-scripts` never runs it and nothing of it is copied.
- Viz.js 3.31.0 (@viz-js/viz, dist/viz-global.js, here named viz-standalone.js): Graphviz
  compiled to WebAssembly, inlined in the file (no fetch); instantiating it needs the CSP source
  'wasm-unsafe-eval'.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "web" / "node_modules"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    npm: str  # the npm package name
    licence: str  # SPDX, as the package declares it
    files: dict  # path in the npm package -> file name under static/vendor/<name>/
    licence_files: tuple = ()  # the package's own licence and notice files, copied as they are
    upstream: str = ""  # where the licence text lives when the package ships none


PACKAGES = {
    "yasgui": Package("@zazuko/yasgui", "MIT", {"build/yasgui.min.js": "yasgui.min.js",
                                                "build/yasgui.min.css": "yasgui.min.css"},
                      upstream="https://github.com/zazuko/Yasgui/blob/main/LICENSE"),
    "viz": Package("@viz-js/viz", "MIT (Graphviz inside: EPL-1.0; Expat: MIT)",
                   {"dist/viz-global.js": "viz-standalone.js"},
                   upstream="https://github.com/mdaines/viz-js/blob/main/LICENSE"),
    "swagger-ui": Package("swagger-ui-dist", "Apache-2.0",
                          {"swagger-ui-bundle.js": "swagger-ui-bundle.js", "swagger-ui.css": "swagger-ui.css",
                           "favicon-32x32.png": "favicon-32x32.png",
                           "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt"},
                          licence_files=("LICENSE", "NOTICE")),
}

# the files a page needs: when one is missing the pages say to run `make web`
REQUIRED = {"editor": ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css"),
            "docs": ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css"),
            "viz": ("viz/viz-standalone.js",)}


def installed(page: str, vendor: Path = VENDOR) -> bool:
    """Whether `make web` has put the files `page` needs in place."""
    return all((vendor / f).is_file() for f in REQUIRED[page])


def licence_note(pkg: Package, version: str) -> str:
    """The licence file written for a package that ships none: what it declares and where the text is."""
    return (f"{pkg.npm} {version} is licensed {pkg.licence} (its package.json); the npm package ships no "
            f"licence file. The full text: {pkg.upstream}\n")


def vendor(node_modules: Path = NODE_MODULES, target: Path = VENDOR) -> dict:
    """Replace target with the listed files of each package; returns {name: version}. A missing
    source file is an error (the lock file and this list disagree)."""
    missing = [f"{p.npm}/{src}" for p in PACKAGES.values() for src in (*p.files, *p.licence_files)
               if not (node_modules / p.npm / src).is_file()]
    if missing:
        raise FileNotFoundError("not in web/node_modules (run npm ci in web/): " + ", ".join(missing))
    shutil.rmtree(target, ignore_errors=True)
    versions = {}
    for name, pkg in PACKAGES.items():
        src, dst = node_modules / pkg.npm, target / name
        dst.mkdir(parents=True)
        versions[name] = json.loads((src / "package.json").read_text(encoding="utf-8"))["version"]
        for path, out in pkg.files.items():
            shutil.copyfile(src / path, dst / out)
        for path in pkg.licence_files:
            shutil.copyfile(src / path, dst / path)
        if not pkg.licence_files:
            (dst / "LICENSE").write_text(licence_note(pkg, versions[name]), encoding="utf-8")
    (target / "versions.json").write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return versions


def main() -> int:
    try:
        versions = vendor()
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("vendored into " + str(VENDOR.relative_to(ROOT)) + ": "
          + ", ".join(f"{n} {v}" for n, v in sorted(versions.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
