"""What a knowledge-base change changes: one case corpus classified by two knowledge bases.

`dorsum diff` compares a base knowledge base (a directory, or the knowledge-base directories of a
git ref extracted to a temporary directory) with the working one, case by case. For every case
whose conclusions differ it names the field, the values before and after, and the rules (with the
statements they implement) that produced each conclusion that appeared, disappeared or changed.
It also lists the knowledge-base files that differ and the rule files among them. The report is a
plain dict, deterministic (sorted, no timestamps) so two runs give the same bytes. The two sides
are in diff_sides.py, the report's rendering in diff_render.py.

Nothing here knows a clinical term: the compared fields are the conclusion kinds each knowledge
base declares in ontology/results.ttl.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..kb.paths import kb_files as files_of
from ..kb.paths import kb_paths
from .diff_render import render_table  # noqa: F401  (the report's rendering, imported from here by callers)
from .diff_sides import sides

CHUNK = 250            # cases classified per engine run (bounds memory on a large corpus)
CACHE_SIZE = 4         # loaded knowledge bases a Classifiers keeps, by content


@dataclass(frozen=True)
class Field:
    """A conclusion key of the result view: its JSON key, the key naming each item, and the item
    attributes whose change counts as a change of the item."""

    name: str
    key: str
    attrs: tuple = ()
    single: bool = False   # the view holds one object (or null), not a list


def fields_of(kb) -> tuple[Field, ...]:
    """The compared fields: the conclusion kinds the knowledge base declares (ontology/results.ttl)."""
    return tuple(Field(k.json_key, k.item_key, k.attrs, k.single) for k in kb.result_kinds.shown)


def union_fields(*field_sets) -> tuple[Field, ...]:
    """The fields of both sides, each once, in the order they come."""
    out: dict = {}
    for fs in field_sets:
        for f in fs:
            out.setdefault(f.name, f)
    return tuple(out.values())


# --------------------------------------------------------------------------------------------
# knowledge-base files


def kb_files(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file of the knowledge base (kb/paths.py says which)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files_of(root)}


def content_digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n".encode())
    return h.hexdigest()


def file_changes(before: dict[str, bytes], after: dict[str, bytes]) -> dict:
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(p for p in set(before) & set(after) if before[p] != after[p]),
    }


def _queries_by_file(kb) -> dict[str, object]:
    return {Path(r.relpath).as_posix(): r for r in (*kb.rules, *kb.inference, *kb.checks)}


def rule_changes(changes: dict, kb_before, kb_after) -> list[dict]:
    """The rule (and inference and check) files among the changed files, with the header keys
    whose value changed."""
    b, a = _queries_by_file(kb_before), _queries_by_file(kb_after)
    out = []
    for kind in ("added", "removed", "changed"):
        for path in changes[kind]:
            rb, ra = b.get(path), a.get(path)
            if rb is None and ra is None:
                continue
            entry = {"file": path, "change": kind, "rule": (ra or rb).iri}
            if rb is not None and ra is not None:
                if rb.iri != ra.iri:
                    entry["rule_before"] = rb.iri
                header = {}
                for key in sorted(set(rb.header) | set(ra.header)):
                    vb, va = rb.header.get(key), ra.header.get(key)
                    if vb != va:
                        header[key] = {"before": vb, "after": va}
                entry["header"] = header
                entry["query_changed"] = _body(rb.text) != _body(ra.text)
            out.append(entry)
    return sorted(out, key=lambda e: (e["file"], e["change"]))


def _body(text: str) -> str:
    """A query without its comment lines: what runs."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()


# --------------------------------------------------------------------------------------------
# loading and classifying


class Classifiers:
    """Loaded knowledge bases, kept by the content digest of their files (the last `size` used), so
    a second side with the same files, or a later diff given the same object, does not load them
    again. Each is read whole when loaded, so it never reads its root again (a temporary directory
    may be gone)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._by_digest: "OrderedDict[str, object]" = OrderedDict()

    def load(self, root: Path, digest: str):
        from ..pipeline import Classifier

        clf = self._by_digest.get(digest)
        if clf is not None:
            self._by_digest.move_to_end(digest)
            return clf
        clf = Classifier(kb_root=root)
        _ = clf.kb.version, clf.kb.sha256, clf.kb.case_shapes, clf.kb.result_kinds  # read now, while root exists
        self._by_digest[digest] = clf
        while len(self._by_digest) > self.size:
            self._by_digest.popitem(last=False)
        return clf


def _items(field_: Field, js: dict) -> dict[str, dict]:
    raw = js.get(field_.name)
    entries = ([raw] if raw else []) if field_.single else (raw or [])
    out = {}
    for e in entries:
        key = e.get(field_.key)
        if key is None:
            continue
        rules = e.get("rules") or ([e["rule"]] if e.get("rule") else [])
        out[str(key)] = {"attrs": {a: e.get(a) for a in field_.attrs}, "rules": sorted(set(rules)),
                         "statements": sorted(set(e.get("statements") or []))}
    return out


@dataclass
class Outcome:
    """What the diff needs of one case result."""

    case_id: str
    source: str
    status: str
    errors: list
    fields: dict           # field name -> item key -> {"attrs", "rules", "statements"}


def project(result, fields_: tuple[Field, ...]) -> Outcome:
    js = result.json
    errors = sorted(f"{e.get('path') or '(case)'}: {e.get('message')}" for e in js.get("errors") or [])
    fields = {f.name: _items(f, js) for f in fields_} if result.ok else {}
    return Outcome(result.case_id, result.source, result.status, errors, fields)


def classify_corpus(clf, root: Path, paths: Iterable[str | Path]) -> dict[tuple[str, int], Outcome]:
    """Every case of the corpus, keyed by (case id, occurrence) so a repeated id stays apart."""
    from ..case.intake import read_cases

    out: dict[tuple[str, int], Outcome] = {}
    seen: dict[str, int] = {}
    inputs = read_cases(paths, kb_paths(root).context)
    fields_ = fields_of(clf.kb)
    while True:
        chunk = [ci for _, ci in zip(range(CHUNK), inputs)]
        if not chunk:
            return out
        for r in clf.classify_many(chunk):
            n = seen[r.case_id] = seen.get(r.case_id, 0) + 1
            out[(r.case_id, n)] = project(r, fields_)


# --------------------------------------------------------------------------------------------
# comparing


def _show(field_: Field, key: str, item: dict):
    """An item as the report shows it: its key, with its attributes when the field has some."""
    if not field_.attrs:
        return key
    return {field_.key: key, **item["attrs"]}


def _responsible(sides_by_rule: dict, items_by_rule: dict, rule_info: dict, changed_rules: set,
                 fallback: dict) -> list[dict]:
    """Each rule behind an item that appeared, disappeared or changed: its file, the statements it
    implements (or, for a query the knowledge base does not list, those the result names), the
    sides it fired on, the items it concluded, and whether its file changed."""
    out = []
    for rule in sorted(sides_by_rule):
        info = rule_info.get(rule, {})
        out.append({
            "rule": rule,
            "file": info.get("file"),
            "statements": sorted(info.get("statements") or fallback.get(rule, set())),
            "sides": sorted(sides_by_rule[rule]),
            "for": sorted(items_by_rule[rule]),
            "rule_file_changed": rule in changed_rules,
        })
    return out


def compare_field(field_: Field, before: dict, after: dict, rule_info: dict, changed_rules: set) -> dict | None:
    appeared = sorted(set(after) - set(before))
    disappeared = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k]["attrs"] != after[k]["attrs"])
    if not (appeared or disappeared or changed):
        return None
    sides_by_rule: dict[str, set] = {}
    items_by_rule: dict[str, set] = {}
    fallback: dict[str, set] = {}

    def blame(item: dict, side: str, key: str) -> None:
        for rule in item["rules"]:
            sides_by_rule.setdefault(rule, set()).add(side)
            items_by_rule.setdefault(rule, set()).add(key)
            fallback.setdefault(rule, set()).update(item["statements"])

    for k in disappeared:
        blame(before[k], "base", k)
    for k in appeared:
        blame(after[k], "head", k)
    for k in changed:
        blame(before[k], "base", k)
        blame(after[k], "head", k)

    def value(items: dict):
        shown = [_show(field_, k, items[k]) for k in sorted(items)]
        return (shown[0] if shown else None) if field_.single else shown

    return {
        "field": field_.name,
        "before": value(before),
        "after": value(after),
        "appeared": appeared,
        "disappeared": disappeared,
        "changed": [{"item": k, "before": before[k]["attrs"], "after": after[k]["attrs"]} for k in changed],
        "responsible": _responsible(sides_by_rule, items_by_rule, rule_info, changed_rules, fallback),
    }


def compare_case(b: Outcome | None, a: Outcome | None, rule_info: dict, changed_rules: set,
                 fields: tuple[Field, ...]) -> list[dict]:
    sb, sa = (b.status if b else "absent"), (a.status if a else "absent")
    if sb != sa:
        return [{"field": "status", "before": sb, "after": sa,
                 "errors": {"before": b.errors if b else [], "after": a.errors if a else []}, "responsible": []}]
    if sb != "classified":
        if b.errors != a.errors:
            return [{"field": "errors", "before": b.errors, "after": a.errors, "responsible": []}]
        return []
    out = []
    for f in fields:
        change = compare_field(f, b.fields.get(f.name, {}), a.fields.get(f.name, {}), rule_info, changed_rules)
        if change:
            out.append(change)
    return out


def _rule_info(*kbs) -> dict:
    """Rule IRI -> its file and the statements it implements, on either side (union)."""
    info: dict[str, dict] = {}
    for kb in kbs:
        for r in (*kb.rules, *kb.inference, *kb.checks):
            e = info.setdefault(r.iri, {"file": Path(r.relpath).as_posix(), "statements": set()})
            e["statements"].update(r.implements)
    return info


def diff(base: str, kb_root: str | Path | None, cases: Iterable[str | Path],
         classifiers: Classifiers | None = None) -> dict:
    """The whole report: both sides, the files that differ, and every changed case. A caller that
    diffs again may pass the same `classifiers` so unchanged knowledge bases are not reloaded."""
    cases = [str(c) for c in cases]
    classifiers = classifiers if classifiers is not None else Classifiers()
    with sides(base, kb_root) as (b, h):
        files_b, files_h = kb_files(b.root), kb_files(h.root)
        clf_b = classifiers.load(b.root, content_digest(files_b))
        clf_h = classifiers.load(h.root, content_digest(files_h))
        out_b = classify_corpus(clf_b, b.root, cases)
        out_h = classify_corpus(clf_h, h.root, cases)
    changes = file_changes(files_b, files_h)
    rules = rule_changes(changes, clf_b.kb, clf_h.kb)
    changed_rules = {r["rule"] for r in rules} | {r["rule_before"] for r in rules if "rule_before" in r}
    rule_info = _rule_info(clf_b.kb, clf_h.kb)
    fields = union_fields(fields_of(clf_b.kb), fields_of(clf_h.kb))
    report_cases = []
    for key in sorted(set(out_b) | set(out_h)):
        ob, oh = out_b.get(key), out_h.get(key)
        changes_ = compare_case(ob, oh, rule_info, changed_rules, fields)
        if changes_:
            case = key[0] if key[1] == 1 else f"{key[0]}#{key[1]}"
            report_cases.append({"case": case, "source": (oh or ob).source, "changes": changes_})
    total = len(set(out_b) | set(out_h))
    return {
        "base": {**b.info, "version": clf_b.kb.version, "sha256": clf_b.kb.sha256},
        "head": {**h.info, "version": clf_h.kb.version, "sha256": clf_h.kb.sha256},
        "cases_from": cases,
        "kb_files": changes,
        "rules_changed": rules,
        "summary": {
            "cases": total,
            "changed": len(report_cases),
            "unchanged": total - len(report_cases),
            "invalid": {"base": sum(o.status != "classified" for o in out_b.values()),
                        "head": sum(o.status != "classified" for o in out_h.values())},
        },
        "cases": report_cases,
    }
