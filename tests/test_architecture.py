"""The layout shows the design (issue 16): the subpackages of reasoner/ depend on each other in
one direction (no cycle: data flows kb -> case -> shacl -> engine -> results -> store -> query/serve,
with the pipeline where the stages meet), no module is a big room (about 400 lines at most), and no
block of more than six lines is repeated. docs/architecture.md shows the graph this test reads."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

PKG = ROOT / "reasoner"
MAX_LINES = 400
# modules allowed past MAX_LINES, each with the reason (keep this list short and honest)
BIG_ROOMS: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """module -> the reasoner modules or packages it imports (anywhere in it, lazily or not)."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in PKG.rglob("*.py"):
        mod, is_pkg = module_name(path), path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("reasoner"):
                    out[mod].add(target)
            elif isinstance(node, ast.Import):
                out[mod].update(a.name for a in node.names if a.name.startswith("reasoner"))
    return out


def subsystem(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "reasoner"


def subsystem_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, targets in imports().items():
        for b in targets:
            if subsystem(a) != subsystem(b) and subsystem(b) not in ("reasoner",):
                graph[subsystem(a)].add(subsystem(b))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one subsystem (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def test_subsystems_depend_on_each_other_in_one_direction():
    assert cycles(subsystem_graph()) == []


def test_no_module_is_a_big_room():
    big = {module_name(p): n for p in PKG.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(big) <= set(BIG_ROOMS), {m: n for m, n in big.items() if m not in BIG_ROOMS}


def test_no_block_of_more_than_six_lines_is_repeated():
    seen: dict[tuple, list] = defaultdict(list)
    for path in sorted(PKG.rglob("*.py")):
        code = [(i + 1, line.strip()) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())]
        code = [(i, s) for i, s in code if s and not s.startswith(("#", "from ", "import "))]
        for k in range(len(code) - 6):
            block = tuple(s for _, s in code[k:k + 7])
            if sum(len(s) for s in block) >= 120:  # seven lines of real code, not seven closing brackets
                seen[block].append(f"{path.relative_to(ROOT)}:{code[k][0]}")
    repeated = {b: places for b, places in seen.items() if len(places) > 1}
    assert not repeated, sorted(places for places in repeated.values())[:5]
