"""Rule test manifests: tests written as data, in the W3C test-manifest vocabulary.

A manifest (Turtle) lists entries; each names a case file (mf:action) and the conclusions its
classification must give (mf:result), using the knowledge base's own individuals. The knowledge
engineer adds a test by adding an entry, never Python. `dorsum test-rules`, `dorsum coverage` and
pytest all read the entries through this module, so there is one source of truth. An entry names
the rules it tests (dt:rule, closed world): the rules behind its case's conclusions must be exactly
those, so a rule that starts or stops firing on a case fails the entry, named.

Manifests are parsed with a stable base IRI (the file's path under the anchor directory, under
https://w3id.org/dorsum/), so entry IRIs and reports are the same on every machine. mf:include is
followed for local files only; nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from ..errors import DorsumError
from ..namespaces import DORSUM, RULE_BASE, SH

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
DT = Namespace("https://w3id.org/dorsum/test#")
EARL = Namespace("http://www.w3.org/ns/earl#")
BASE = str(DORSUM)
KINDS = {DT.ClassificationTest: "classification", DT.InvalidCaseTest: "invalid"}


class ManifestError(DorsumError):
    """A manifest that cannot be read or does not satisfy shapes/test-manifest.ttl."""


@dataclass(frozen=True)
class Entry:
    iri: str
    name: str
    kind: str                  # "classification" or "invalid"
    comment: str
    covers: tuple[str, ...]
    rules: tuple[str, ...]     # dt:rule: the IRIs of the rules behind the case's conclusions
    safety: bool               # dt:safety true: an entry of the clinical-safety corpus
    action: Path               # the case file
    manifest: Path
    result: URIRef | None      # the mf:result node in graph
    graph: Graph = field(repr=False, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.manifest.name}#{self.name}"


def _iri_of(path: Path, anchor: Path) -> str:
    try:
        return BASE + path.resolve().relative_to(anchor.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _path_of(iri: str, anchor: Path) -> Path:
    if iri.startswith(BASE):
        return anchor / iri[len(BASE):]
    if iri.startswith("file://"):
        from urllib.parse import unquote, urlparse
        return Path(unquote(urlparse(iri).path))
    raise ManifestError(f"{iri}: only local files can be included or tested; nothing is fetched")


def _parse(path: Path, anchor: Path) -> Graph:
    g = Graph()
    try:
        g.parse(path, format="turtle", publicID=_iri_of(path, anchor))
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: no such manifest file") from exc
    except Exception as exc:  # rdflib raises several parser errors; all mean "this file is broken"
        raise ManifestError(f"{path}: not valid Turtle: {' '.join(str(exc).split())[:300]}") from exc
    return g


def anchor_for(path: str | Path, root: str | Path) -> Path:
    """The directory entry IRIs are made relative to: the knowledge base's root when the manifest
    lies in it (stable IRIs on every machine), else the filesystem root (relative mf:action and
    mf:include IRIs such as ../cases/x.json still resolve)."""
    p, r = Path(path).resolve(), Path(root).resolve()
    return r if p.is_relative_to(r) else Path(p.anchor)


def read_manifest(path: str | Path, anchor: str | Path | None = None) -> list[Entry]:
    """Every entry of the manifest and of the manifests it includes, in document order."""
    path = Path(path)
    anchor = Path(anchor) if anchor else Path(path.resolve().anchor)
    out: list[Entry] = []
    seen: set[Path] = set()

    def visit(p: Path):
        if p.resolve() in seen:
            return
        seen.add(p.resolve())
        g = _parse(p, anchor)
        for m in sorted(g.subjects(RDF.type, MF.Manifest), key=str):
            for inc in _list(g, m, MF.include):
                visit(_path_of(str(inc), anchor))
            # a manifest may carry several mf:entries lists (an appended block adds one), read in
            # the order of their first entries so the result never depends on parsing order
            lists = [list(Collection(g, head)) for head in g.objects(m, MF.entries)]
            for members in sorted(lists, key=lambda xs: str(xs[0]) if xs else ""):
                out.extend(_entry(g, e, p, anchor) for e in members)

    visit(path)
    names = [e.iri for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ManifestError(f"entries listed twice: {', '.join(dup)}")
    return out


def unincluded_manifests(root_manifest: str | Path, entries: list[Entry], anchor: str | Path | None = None) -> list[Path]:
    """Manifest files beside the root manifest (or below its directory) that it never reaches
    through mf:include (`entries`: what reading it gave): their entries would silently never run."""
    root_manifest = Path(root_manifest)
    reached = {e.manifest.resolve() for e in entries} | {root_manifest.resolve()}
    out = []
    for p in sorted(root_manifest.resolve().parent.rglob("*.ttl")):
        if p.resolve() in reached:
            continue
        g = _parse(p, Path(anchor) if anchor else Path(p.resolve().anchor))
        if any(True for _ in g.subjects(RDF.type, MF.Manifest)):
            out.append(p)
    return out


def require_included(root_manifest: str | Path, entries: list[Entry], anchor: str | Path | None = None) -> None:
    """ManifestError when a manifest file beside the root manifest is not included by it."""
    lost = unincluded_manifests(root_manifest, entries, anchor)
    if lost:
        raise ManifestError("manifest files not included by manifest.ttl (their entries would never run; "
                            "add them to its mf:include list): " + ", ".join(str(p) for p in lost))


def _list(g: Graph, node, prop) -> list:
    head = g.value(node, prop)
    return list(Collection(g, head)) if head is not None else []


def _entry(g: Graph, e, manifest: Path, anchor: Path) -> Entry:
    kinds = [KINDS[t] for t in g.objects(e, RDF.type) if t in KINDS]
    if len(kinds) != 1:
        raise ManifestError(f"{manifest}: entry {e} must be exactly one of dt:ClassificationTest or dt:InvalidCaseTest")
    action = g.value(e, MF.action)
    if action is None:
        raise ManifestError(f"{manifest}: entry {e} has no mf:action (the case file to classify)")
    name = g.value(e, MF.name)
    return Entry(
        iri=str(e), name=str(name) if name is not None else str(e).rsplit("#", 1)[-1], kind=kinds[0],
        comment=str(g.value(e, RDFS.comment) or ""), covers=tuple(sorted(str(c) for c in g.objects(e, DT.covers))),
        rules=tuple(sorted(str(r) for r in g.objects(e, DT.rule))),
        safety=any(bool(v.toPython()) is True for v in g.objects(e, DT.safety) if isinstance(v, Literal)),
        action=_path_of(str(action), anchor), manifest=manifest, result=g.value(e, MF.result), graph=g,
    )


def validate_manifest(path, kb, anchor=None) -> list[str]:
    """Messages for every entry of the manifest (and those it includes) that breaks
    shapes/test-manifest.ttl."""
    return validate_entries(read_manifest(path, anchor), kb)


def validate_entries(entries: list[Entry], kb) -> list[str]:
    """Messages for every entry that breaks shapes/test-manifest.ttl (expected values must be the
    knowledge base's individuals, so a typo never silently passes)."""
    from pyshacl import validate

    shapes = kb.paths.shapes / "test-manifest.ttl"
    if not shapes.exists():
        return []
    data = Graph()
    for g in {id(e.graph): e.graph for e in entries}.values():  # the union of the manifest files read
        data += g
    data += kb.graph
    conforms, results, _ = validate(data, shacl_graph=Graph().parse(shapes), inference="none", allow_warnings=True)
    if conforms:
        return []
    msgs = set()
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus, value = results.value(r, SH.focusNode), results.value(r, SH.value)
        msgs.add(f"{focus}: {results.value(r, SH.resultMessage)}" + (f" (value {value})" if value is not None else ""))
    return sorted(msgs)


# ------------------------------------------------------------------ expectations and comparison
def expected(entry: Entry, view) -> dict:
    """The entry's mf:result in the terms of the JSON result (slugs and JSON paths), one key for
    each conclusion kind the knowledge base declares (its dorsum:testProperty names the value)."""
    g, r = entry.graph, entry.result
    if entry.kind == "invalid":
        return {"status": "invalid", "errors": sorted({str(p) for p in g.objects(r, DT.errorPath)}) if r else []}
    if r is None:
        raise ManifestError(f"{entry.label}: no mf:result")
    kbg = view.kbg
    out: dict = {"status": "classified"}
    for kind in view.kb.result_kinds.shown:
        values = list(g.objects(r, kind.test_property)) if kind.test_property is not None else []
        if kind.single:
            out[kind.json_key] = view.slug(values[0]) if values else None
        elif kind.timed:  # a node with dt:concept, dt:withinDays and (when checked) dt:strength
            timed = {}
            for a in values:
                days = g.value(a, DT.withinDays)
                spec = {"within_days": int(days) if days is not None else None}
                strength = g.value(a, DT.strength)
                if strength is not None:
                    spec["strength"] = view.slug(strength)
                timed[view.slug(g.value(a, DT.concept))] = spec
            out[kind.json_key] = dict(sorted(timed.items()))
        elif kind.named_by_path:
            out[kind.json_key] = sorted(str(kbg.value(x, DORSUM.jsonPath) or view.slug(x)) for x in values)
        else:
            out[kind.json_key] = sorted(view.slug(x) for x in values)
    # the pathways the case enters: checked (closed world) only when the entry lists any
    out["pathways"] = sorted(view.slug(x) for x in g.objects(r, DT.pathway)) or None
    return out


def actual(result: dict, want: dict, kinds) -> dict:
    """The same shape as expected(), read from a JSON result (strength only where the entry asks)."""
    if want["status"] == "invalid" or result["status"] != "classified":
        return {"status": result["status"], "errors": sorted({e["path"] for e in result.get("errors", [])})}
    out: dict = {"status": "classified"}
    for kind in kinds.shown:
        shown = result[kind.json_key]
        if kind.single:
            out[kind.json_key] = shown[kind.item_key]
        elif kind.timed:
            timed = {}
            for a in shown:
                spec = {"within_days": a.get("within_days")}
                if "strength" in want[kind.json_key].get(a[kind.item_key], {}):
                    spec["strength"] = a.get("strength")
                timed[a[kind.item_key]] = spec
            out[kind.json_key] = dict(sorted(timed.items()))
        else:
            out[kind.json_key] = sorted(x[kind.item_key] for x in shown)
    out["pathways"] = sorted(result.get("pathways", [])) if want.get("pathways") is not None else None
    return out


def differences(want: dict, got: dict) -> list[str]:
    """What differs, one line each, in words a knowledge engineer can act on."""
    if want.get("status") != got.get("status"):
        extra = f" with errors {got.get('errors')}" if got.get("status") == "invalid" else ""
        return [f"status: expected {want.get('status')}, got {got.get('status')}{extra}"]
    if want["status"] == "invalid":
        return _set_diff("errors", want["errors"], got["errors"])
    out = []
    for key, w in want.items():
        if key in ("status", "pathways"):
            continue
        if isinstance(w, dict):  # a timed list: its items, then each item's days and strength
            out += _set_diff(key, w, got[key])
            for k in sorted(set(w) & set(got[key])):
                if w[k] != got[key][k]:
                    out.append(f"{key}: {k}: expected {_spec(w[k])}, got {_spec(got[key][k])}")
        elif isinstance(w, list):
            out += _set_diff(key, w, got[key])
        elif w != got[key]:
            out.append(f"{key}: expected {w}, got {got[key]}")
    if want.get("pathways") is not None:
        out += _set_diff("pathways", want["pathways"], got["pathways"])
    return out


def fired_rules(result: dict, kinds) -> list[str]:
    """The IRIs of the rules behind the conclusions of a JSON result (the rule and rules of every
    conclusion kind the knowledge base declares); none for a result that is not classified."""
    if result.get("status") != "classified":
        return []
    out = set()
    for kind in kinds.shown:
        shown = result.get(kind.json_key)
        for c in ([shown] if kind.single else shown or []):
            if c:
                out.update(r for r in [c.get("rule")] + list(c.get("rules") or []) if r)
    return sorted(out)


def rule_differences(entry: Entry, result: dict, kinds) -> list[str]:
    """The rules firing on the entry's case against its dt:rule list (closed world), by slug."""
    if entry.kind != "classification" or result.get("status") != "classified":
        return []
    got, want = set(fired_rules(result, kinds)), set(entry.rules)
    slug = lambda iri: iri[len(RULE_BASE):] if iri.startswith(RULE_BASE) else iri  # noqa: E731
    out = [f"rules: {slug(r)} is listed in dt:rule but did not fire" for r in sorted(want - got, key=slug)]
    out += [f"rules: {slug(r)} fired, not listed in dt:rule" for r in sorted(got - want, key=slug)]
    return out


def _spec(spec: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in spec.items())


def _set_diff(key: str, want, got) -> list[str]:
    out = [f"{key}: expected {x}, not concluded" for x in sorted(set(want) - set(got))]
    out += [f"{key}: concluded {x}, not expected" for x in sorted(set(got) - set(want))]
    return out


@dataclass
class Outcome:
    entry: Entry
    passed: bool
    problems: list[str]
    result: dict


def run(entries: list[Entry], classifier) -> list[Outcome]:
    """Classify every entry's case in one batch and compare; a case file that does not hold
    exactly one case fails its entry with a message (it never stops the run)."""
    inputs, owners = [], []
    outcomes: dict[int, Outcome] = {}
    for i, e in enumerate(entries):
        if not e.action.exists():
            outcomes[i] = Outcome(e, False, [f"case file not found: {e.action}"], {})
            continue
        cis = list(classifier.inputs([e.action]))
        if len(cis) != 1:
            outcomes[i] = Outcome(e, False, [f"{e.action}: expected one case, found {len(cis)}"], {})
            continue
        inputs.append(cis[0])
        owners.append(i)
    for i, res in zip(owners, classifier.classify_many(inputs)):
        e = entries[i]
        want = expected(e, classifier.view)
        probs = differences(want, actual(res.json, want, classifier.kb.result_kinds))
        probs += rule_differences(e, res.json, classifier.kb.result_kinds)
        outcomes[i] = Outcome(e, not probs, probs, res.json)
    return [outcomes[i] for i in range(len(entries))]


def earl_report(outcomes: list[Outcome], kb) -> Graph:
    """The outcomes as an EARL report (the W3C Evaluation and Report Language the RDF test suites
    collect implementation reports in). No dates, so a report is reproducible."""
    from .. import __version__

    g = Graph()
    g.bind("earl", EARL)
    g.bind("dt", DT)
    software = URIRef(f"{BASE}software/dorsum/{__version__}")
    g.add((software, RDF.type, EARL.Software))
    g.add((software, RDFS.label, Literal(f"dorsum {__version__}, knowledge base {kb.version} {kb.sha256}")))
    for o in outcomes:
        a = URIRef(f"{o.entry.iri}/assertion")
        res = URIRef(f"{o.entry.iri}/result")
        g.add((a, RDF.type, EARL.Assertion))
        g.add((a, EARL.assertedBy, software))
        g.add((a, EARL.subject, software))
        g.add((a, EARL.test, URIRef(o.entry.iri)))
        g.add((a, EARL.mode, EARL.automatic))
        g.add((a, EARL.result, res))
        g.add((res, RDF.type, EARL.TestResult))
        g.add((res, EARL.outcome, EARL.passed if o.passed else EARL.failed))
        if o.problems:
            g.add((res, EARL.info, Literal("\n".join(o.problems))))
    return g
