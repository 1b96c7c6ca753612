"""Table-driven branches: the simple components of a shape's plain-property paths at the top level
(counts, datatype, class, node, ranges, lengths), all rows of one kind in one branch whose VALUES
table lists each row's path and parameter, so a shape's query stays small however many
properties it lists."""

from __future__ import annotations

from ..sparql_terms import TYPE_OF, sparql_term


def table_arm(cc, kind: str, focus_pattern: str, f: str, rows: list) -> str:
    """One branch for all rows of a kind: VALUES (?k ?tp ?tx) lists each row's index, path and
    parameter; the condition is the component's, with the parameter as ?tx."""
    this = "?this" if f == "?this" else f"({f} AS ?this)"
    value = f"GRAPH ?g {{ {f} ?tp ?tv }}"
    if kind == "node":  # the value nodes that fail the node shape (one shape per table)
        table = " ".join(f"({k} {sparql_term(r.path)})" for k, r in rows)
        head = f"{focus_pattern} VALUES (?k ?tp) {{ {table} }}"
        fails = cc.failing(rows[0][1].param, f"{{ SELECT DISTINCT ?g ?tv WHERE {{ {head} {value} }} }}", "?tv")
        if fails is None:
            return "{ FILTER(false) }"
        return f"{{ SELECT ?k ?g {this} (?tv AS ?value) WHERE {{ {head} {value} {fails} }} }}"
    table = " ".join(f"({k} {sparql_term(r.path)} "
                     f"{r.param if isinstance(r.param, int) else sparql_term(r.param)})" for k, r in rows)
    head = f"{focus_pattern} VALUES (?k ?tp ?tx) {{ {table} }}"
    if kind in ("minCount", "maxCount"):
        inner = f"{head} OPTIONAL {{ {value} }}" if kind == "minCount" else f"{head} {value}"
        op = "<" if kind == "minCount" else ">"
        return (f"{{ SELECT ?k ?g {this} WHERE {{ {inner} }} GROUP BY ?k ?g {f} ?tx "
                f"HAVING (COUNT(DISTINCT ?tv) {op} ?tx) }}")
    lexical = ""
    if kind == "datatype":  # as written (an ill-typed literal has data_term's datatype)
        block, lx, dt = cc.lexical("?tv", f, "?tp")
        cond = f"{block} FILTER(!(isLiteral(?tv) && {dt} = ?tx))"
        lexical = f" ({lx} AS ?lx) ({dt} AS ?ld)"
    elif kind == "class":
        cond = f"OPTIONAL {{ GRAPH ?g {{ ?tv {TYPE_OF} ?tx }} BIND(true AS ?tok) }} FILTER(!BOUND(?tok))"
    elif kind in (">=", "<=", ">", "<"):
        cond = f"FILTER(!COALESCE(?tv {kind} ?tx, false))"
    else:  # minLength, maxLength: on the lexical form as written
        block, lx, dt = cc.lexical("?tv", f, "?tp")
        op = ">=" if kind == "minLength" else "<="
        cond = f"{block} FILTER(isBlank(?tv) || !COALESCE(STRLEN({lx}) {op} ?tx, false))"
        lexical = f" ({lx} AS ?lx) ({dt} AS ?ld)"
    return f"{{ SELECT ?k ?g {this} (?tv AS ?value){lexical} WHERE {{ {head} {value} {cond} }} }}"
