"""The flat columns of a result row: what an analyst filters and groups by without parsing JSON.

Read from the knowledge base's declaration of its result kinds (ontology/results.ttl, see
kb/result_kinds.py), so a new kind of conclusion becomes a column with no code change: a kind shown
as one object (urgency) gives `<key>_<item key>` (urgency_level) and, when timed, `<key>_days`
(urgency_days); a kind shown as a list gives `<key>`, an array of its slugs (actions, warnings,
differential, risk_factors, missing). Around them: the row's position in the input, its source,
the case id, status, errors, age groups and pathways, the knowledge base's version and hash, the
SHA-256 of the result's JSON text (as a run manifest records it), the JSON itself and the result
graph as canonical N-Quads.
"""

from __future__ import annotations

# (name, type) before and after the kinds' columns; types are Spark SQL DDL type names
HEAD = (("position", "bigint"), ("source", "string"), ("case_id", "string"), ("status", "string"),
        ("errors", "array<string>"), ("age_groups", "array<string>"), ("pathways", "array<string>"))
TAIL = (("kb_version", "string"), ("kb_sha256", "string"), ("result_sha256", "string"),
        ("result_json", "string"), ("nquads", "string"))


def kind_columns(kinds) -> list[tuple[str, str]]:
    """The columns of the declared kinds (kinds: a ResultKinds), in the JSON's order."""
    out: list[tuple[str, str]] = []
    for k in kinds.shown:
        if k.single:
            out.append((f"{k.json_key}_{k.item_key}", "string"))
            if k.timed:
                out.append((f"{k.json_key}_days", "int"))
        else:
            out.append((k.json_key, "array<string>"))
    return out


def columns(kinds) -> list[tuple[str, str]]:
    """Every column of a result row, in order."""
    return [*HEAD, *kind_columns(kinds), *TAIL]


def error_text(e: dict) -> str:
    """One error as a line: `path = value: message` (path and value left out when empty)."""
    where = e.get("path") or ""
    if e.get("value") is not None:
        where = f"{where} = {e['value']}" if where else str(e["value"])
    return f"{where}: {e.get('message', '')}" if where else str(e.get("message", ""))


def kind_values(result_json: dict, kinds) -> list:
    """The kinds' column values of one JSON result (None or [] where the result has none)."""
    out: list = []
    for k in kinds.shown:
        shown = result_json.get(k.json_key)
        if k.single:
            out.append(shown.get(k.item_key) if isinstance(shown, dict) else None)
            if k.timed:
                days = shown.get("within_days") if isinstance(shown, dict) else None
                out.append(int(days) if days is not None else None)
        else:
            out.append([str(x.get(k.item_key)) for x in shown or [] if isinstance(x, dict)])
    return out


def row_values(position: int, source: str, result_json: dict, kinds, kb_version: str, kb_sha256: str,
               result_sha256: str | None, result_text: str, nquads: str | None) -> tuple:
    """A result row as a tuple in the order of `columns(kinds)`."""
    return (position, source, result_json.get("case"), result_json.get("status"),
            [error_text(e) for e in result_json.get("errors") or []],
            list(result_json.get("age_groups") or []), list(result_json.get("pathways") or []),
            *kind_values(result_json, kinds),
            kb_version, kb_sha256, result_sha256, result_text, nquads)


def spark_schema(kinds):
    """The Spark StructType of a result row."""
    from pyspark.sql.types import ArrayType, IntegerType, LongType, StringType, StructField, StructType

    types = {"bigint": LongType(), "int": IntegerType(), "string": StringType(),
             "array<string>": ArrayType(StringType(), containsNull=False)}
    return StructType([StructField(name, types[ddl], nullable=name != "position") for name, ddl in columns(kinds)])
