"""The shipped JSON-LD context of the flat case form, read once, and what the engine derives from
it: the set of known keys (so a typo is an error, not silently dropped by JSON-LD) and, for
enumerated keys, the vocabulary prefix that turns a value IRI back into the slug the user wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CONTEXT_IRI = "https://w3id.org/dorsum/context/case.jsonld"


@dataclass(frozen=True)
class CaseContext:
    context: dict                 # the "@context" object
    terms: frozenset[str]         # every key the flat form may use, at any level
    vocab_prefixes: tuple[str, ...]  # value prefixes of enumerated keys, longest first

    @cached_property
    def compiled_terms(self):
        """The context compiled for the fast flat-form reader (reasoner/case/flatjson.py), or None when
        it uses JSON-LD the fast reader does not know (then every case takes the JSON-LD path)."""
        from .flatjson import compile_context
        return compile_context(self.context)

    @cached_property
    def ordered_terms(self) -> tuple[str, ...]:
        """The known keys in the order the context defines them (for suggestions)."""
        out: list[str] = []

        def walk(c: dict) -> None:
            for key, value in c.items():
                if key in self.terms and key not in out:
                    out.append(key)
                if isinstance(value, dict) and isinstance(value.get("@context"), dict):
                    walk(value["@context"])
        walk(self.context)
        return tuple(out)

    @cached_property
    def key_of_property(self) -> dict[str, tuple[str, dict]]:
        """Property IRI -> (the JSON key that writes it, the key's term definition), over the
        context and the contexts scoped in it, the first definition winning: the one reverse map
        the validator's error paths and the workbench's form both read."""
        prefixes = {k: v for k, v in self.context.items() if isinstance(v, str) and not k.startswith("@")}
        out: dict[str, tuple[str, dict]] = {}

        def walk(c: dict) -> None:
            for key, value in c.items():
                if key.startswith("@") or not isinstance(value, dict) or "@id" not in value:
                    continue
                pre, sep, local = value["@id"].partition(":")
                iri = prefixes[pre] + local if sep and pre in prefixes else value["@id"]
                out.setdefault(iri, (key, value))
                if isinstance(value.get("@context"), dict):
                    walk(value["@context"])
        walk(self.context)
        return out

    def slug(self, iri: str) -> str:
        """The slug a user wrote for an enumerated value IRI (e.g. ...depth-deep -> deep)."""
        for prefix in self.vocab_prefixes:
            if iri.startswith(prefix):
                return iri[len(prefix):]
        return iri.rsplit("/", 1)[-1]


def _walk_terms(ctx: dict, terms: set, prefixes: set) -> None:
    for key, value in ctx.items():
        if key.startswith("@"):
            continue
        if isinstance(value, dict):
            if "@id" in value:
                terms.add(key)
            scoped = value.get("@context")
            if isinstance(scoped, dict):
                if "@vocab" in scoped:
                    prefixes.add(scoped["@vocab"])
                _walk_terms(scoped, terms, prefixes)
        elif isinstance(value, str) and ":" in value and not value.startswith("http"):
            terms.add(key)


def load_context(path: str | Path) -> CaseContext:
    """Parse a context file (the pipeline keeps its knowledge base's with the knowledge base: kb.memo)."""
    with open(path, encoding="utf-8") as fh:
        ctx = json.load(fh)["@context"]
    terms: set[str] = set()
    prefixes: set[str] = set()
    _walk_terms(ctx, terms, prefixes)
    terms -= {"dorsum", "xsd"}
    return CaseContext(ctx, frozenset(terms), tuple(sorted(prefixes, key=len, reverse=True)))
