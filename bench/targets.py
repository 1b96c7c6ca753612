"""The measurements behind issue 18's targets, and the "Targets" block `make bench` prints last and
writes at the top of bench/RESULTS.md (one line per target: measured, comparison, met or not).

1. each saved analytics query's time on one client, in this process (no process start), and the
   8-client endpoint run's timeouts/errors;
2. quads a case in the store the load wrote;
3. the load against the store's own ceiling: Oxigraph's bulk loader timed on exactly the N-Quads the
   load wrote (the store dumped), into a fresh on-disk store;
4. the endpoint's memory as results grow (bench/streaming.py's measure_streaming, when it exists);
5. the number of superlinear queries in the per-query table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import statistics
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
CASE_GRAPH_BASE = "https://w3id.org/dorsum/graph/case/"  # the store's graph IRI scheme (README)

QUERY_TARGET_S = 1.0
QUADS_TARGET = 100
CEILING_TARGET = 0.75
STREAM_FLAT = 1.25  # "flat": RSS at the largest result at most 1.25x the RSS at the smallest
NOISE = 0.15  # warm p50 and ratios against the base commit: within 15% counts as no regression
TARGET_SIZE = 100_000


def analytics_times(store_dir: Path, repeat: int = 3) -> list[tuple[str, float, int]]:
    """(name, seconds: the median of `repeat` runs, the first included, rows) of each saved analytics
    query, one at a time on a read-only store in this process: its check, the query over dorsum's default dataset (the union of all graphs) and its CSV
    serialisation (every row consumed), as `dorsum query` runs it but without the process start."""
    from reasoner.namespaces import SPARQL_PREFIXES
    from reasoner.sparql_safety import check_query, dataset_options
    store = ox.Store.read_only(str(store_dir))
    out = []
    for path in sorted((ROOT / "queries" / "analytics").glob("*.rq")):
        text = SPARQL_PREFIXES + path.read_text(encoding="utf-8")
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            checked = check_query(text)  # as `dorsum query` and the endpoint: checked, over dorsum's default dataset
            result = store.query(checked.text, **dataset_options(checked))
            csv = result.serialize(format=ox.QueryResultsFormat.CSV) if isinstance(result, ox.QuerySolutions) else b""
            times.append(time.perf_counter() - t)
        out.append((path.stem, statistics.median(times), max(csv.count(b"\n") - 1, 0)))
    del store
    return out


def quads_per_case(store_dir: Path) -> tuple[int, int]:
    """(quads in case graphs, case graphs) of a store."""
    store = ox.Store.read_only(str(store_dir))
    total = len(store)
    graphs = list(store.named_graphs())
    cases = sum(1 for g in graphs if isinstance(g, ox.NamedNode) and g.value.startswith(CASE_GRAPH_BASE))
    other = sum(1 for g in graphs if not (isinstance(g, ox.NamedNode) and g.value.startswith(CASE_GRAPH_BASE))
                for _ in store.quads_for_pattern(None, None, None, g))
    other += sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    del store
    return total - other, cases


def store_ceiling(store_dir: Path, n: int, tmp: Path) -> dict:
    """Dump the store the load wrote to N-Quads and time Oxigraph's bulk loader on exactly those quads
    into a fresh on-disk store (and the `oxigraph load` CLI when it is on PATH): cases/s of each."""
    nq = tmp / "ceiling.nq"
    src = ox.Store.read_only(str(store_dir))
    t = time.perf_counter()
    src.dump(str(nq), format=ox.RdfFormat.N_QUADS)
    dump_s = time.perf_counter() - t
    quads = len(src)
    del src
    out = {"quads": quads, "nq_mib": nq.stat().st_size / 2 ** 20, "dump_s": dump_s}
    fresh = tmp / "ceiling-store"
    shutil.rmtree(fresh, ignore_errors=True)
    store = ox.Store(str(fresh))
    t = time.perf_counter()
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    out["bulk_load_s"] = time.perf_counter() - t
    out["loaded_quads"] = len(store) if quads <= 5_000_000 else None  # a check, where it is cheap
    del store
    out["cases_per_s"] = n / out["bulk_load_s"]
    shutil.rmtree(fresh, ignore_errors=True)
    cli = shutil.which("oxigraph")
    if cli:
        t = time.perf_counter()
        res = subprocess.run([cli, "load", "--location", str(fresh), "--file", str(nq)], capture_output=True, text=True)
        if res.returncode == 0:
            out["cli_s"] = time.perf_counter() - t
            out["cli_cases_per_s"] = n / out["cli_s"]
        shutil.rmtree(fresh, ignore_errors=True)
    nq.unlink()
    return out


def _rss_mib(d: dict, baseline: bool):
    """The RSS (MiB) of a measure_streaming row: the baseline's (at rest) or the peak while answering
    (server and workers: peak_rss_mib; else the first other RSS figure)."""
    key = "baseline_rss_mib" if baseline else "peak_rss_mib"
    if isinstance(d.get(key), (int, float)):
        return float(d[key])
    for k, v in d.items():
        key = k.lower()
        if "rss" not in key or not isinstance(v, (int, float)) or ("baseline" in key or "idle" in key) != baseline:
            continue
        if key.endswith("kb") or key.endswith("kib"):
            return v / 1024
        if key.endswith("bytes") or key.endswith("_b"):
            return v / 2 ** 20
        return float(v)
    return None


def streaming(store_dir: Path, rows: list[int]) -> dict:
    """bench/streaming.py's measure_streaming(store_dir, rows), import guarded: {"rows": [...]} or
    {"missing": why}."""
    try:
        import streaming as mod
    except ModuleNotFoundError as exc:
        if exc.name != "streaming":
            raise
        return {"missing": "not measured: bench/streaming.py missing"}
    fn = getattr(mod, "measure_streaming", None)
    if fn is None:
        return {"missing": "not measured: bench/streaming.py missing (no measure_streaming)"}
    try:
        result = fn(store_dir, rows)
        warm = list(fn(store_dir, rows, compare=False, warm=True))
    except Exception as exc:  # another engineer's module: report, do not stop the bench
        return {"missing": f"not measured: measure_streaming failed ({type(exc).__name__}: {exc})"}
    rows = list(result)
    show = mod.table if hasattr(mod, "table") else (lambda rs: "\n".join(map(str, rs)))
    return {"rows": rows, "table": show(rows), "warm": warm, "warm_table": show(warm)}


def _row_size(d: dict):
    return next((d[k] for k in ("rows", "size", "n", "results") if k in d), None)


def streaming_lines(st: dict) -> tuple[str, str, str]:
    """(measured, comparison, met) of target 4."""
    if "missing" in st:
        return st["missing"], "", "not measured"
    rows = st["rows"]
    measured, base = [], []
    for d in rows:
        rss, b = _rss_mib(d, False), _rss_mib(d, True)
        status = f" (HTTP {d['status']})" if d.get("status", 200) != 200 else ""
        measured.append(f"{_row_size(d)} rows: " + (f"{rss:.0f} MiB" if rss is not None else str(d)) + status)
        if b is not None:
            base.append(b)
    rss = [_rss_mib(d, False) for d in rows]
    warm = [_rss_mib(d, False) for d in st.get("warm", [])]
    explicit = next((d[k] for d in rows for k in ("flat", "met") if k in d), None)
    if explicit is not None:
        met = "met" if all(d.get("flat", d.get("met")) for d in rows) else "not met"
    elif any(d.get("status", 200) != 200 for d in rows + st.get("warm", [])):
        met = "not met (not every answer was HTTP 200)"
    elif len(rss) >= 2 and None not in rss:
        if rss[-1] <= STREAM_FLAT * rss[0]:
            met = "met"
        elif len(warm) >= 2 and None not in warm and warm[-1] <= STREAM_FLAT * warm[0]:
            met = "met once the store cache is warm (cold: not met)"
        else:
            met = "not met"
    else:
        met = "?"
    if len(warm) >= 2 and None not in warm:
        measured.append("warm (the largest answer asked first): " + ", ".join(
            f"{_row_size(d)} rows {w:.0f} MiB" for d, w in zip(st["warm"], warm)))
    comparison = (f"baseline RSS {', '.join(f'{b:.0f}' for b in base)} MiB; " if base else "") + \
        f"flat: peak at the largest <= {STREAM_FLAT}x the peak at the smallest"
    if st.get("skipped"):
        measured.append(f"{', '.join(map(str, st['skipped']))} rows: not measured (the store has {st['quads']} quads)")
    return "; ".join(measured), comparison, met


def block(*, n: int, queries, endpoint, quads, ceiling, stream, flagged, sizes, base=None) -> list[tuple]:
    """The Targets rows: (label, measured, comparison, met)."""
    rows = []
    if queries:
        slow = [q for q in queries if q[1] >= QUERY_TARGET_S]
        rows.append(("1. saved analytics queries, one client",
                     f"slowest {max(q[1] for q in queries):.2f} s ({max(queries, key=lambda q: q[1])[0]})",
                     f"< {QUERY_TARGET_S:.0f} s each", "met" if not slow else f"not met ({len(slow)} of {len(queries)})"))
        for name, s, nrows in queries:
            rows.append((f"   {name}", f"{s:.2f} s ({nrows} rows)", f"< {QUERY_TARGET_S:.0f} s",
                         "met" if s < QUERY_TARGET_S else "not met"))
    if endpoint is not None:
        rows.append(("1. 8 clients on the endpoint", f"{endpoint['errors']} timeouts/errors of {endpoint['queries']} "
                     f"(p50 {endpoint['p50_ms']:.0f} ms, p95 {endpoint['p95_ms']:.0f} ms)", "0",
                     "met" if endpoint["errors"] == 0 else "not met"))
    else:
        rows.append(("1. 8 clients on the endpoint", "not measured (--no-endpoint)", "0", "not measured"))
    q, c = quads
    rows.append(("2. quads a case", f"{q / max(c, 1):.1f} ({q} quads in {c} case graphs)", f"<= {QUADS_TARGET}",
                 "met" if q / max(c, 1) <= QUADS_TARGET else "not met"))
    load, ceil = ceiling["load"], ceiling["ceiling"]
    ratio = load["cases_per_s"] / ceil["cases_per_s"]
    cli = f"; `oxigraph load` {ceil['cli_cases_per_s']:.1f} cases/s" if "cli_cases_per_s" in ceil else ""
    own = re.search(r"([0-9.]+) cases/s", load.get("summary", ""))  # the load's own count: start-up excluded
    own = f"; its own rate, start-up excluded, {float(own.group(1)):.1f} = {float(own.group(1)) / ceil['cases_per_s']:.0%}" if own else ""
    rows.append(("3. load vs the store's ceiling",
                 f"`dorsum load --jobs {load['jobs']}` {load['cases_per_s']:.1f} cases/s (whole process) = "
                 f"{ratio:.0%} of the ceiling{own}",
                 f"Oxigraph bulk_load of its {ceil['quads']} quads: {ceil['cases_per_s']:.1f} cases/s "
                 f"({ceil['bulk_load_s']:.1f} s){cli}; target >= {CEILING_TARGET:.0%}",
                 "met" if ratio >= CEILING_TARGET else "not met"))
    rows.append(("4. streaming: server RSS as results grow", *streaming_lines(stream)))
    if flagged is None:
        rows.append(("5. superlinear queries", "not measured (one size)", "0", "not measured"))
    else:
        rows.append(("5. superlinear queries", f"{flagged} flagged (growth {sizes[-2]} -> {sizes[-1]} cases)", "0",
                     "met" if flagged == 0 else "not met"))
    for label, head, old, higher_is_better, fmt in (base or []):
        if old is None:
            rows.append((label, fmt(head), "base not measured", ""))
            continue
        ok = head >= old * (1 - NOISE) if higher_is_better else head <= old * (1 + NOISE)
        rows.append((label, fmt(head), f"{fmt(old)} at base", "no regression" if ok else f"regression beyond {NOISE:.0%}"))
    return rows


def title(n: int, minutes: float) -> str:
    return (f"Targets (issue 18) at {n} cases" + ("" if n >= TARGET_SIZE else f" (the targets are at {TARGET_SIZE}: "
            "BENCH_ARGS=--full)") + f"; this run took {minutes:.1f} min")


def render(rows: list[tuple], title: str) -> tuple[list[str], list[str]]:
    """(lines to print, markdown lines) of the Targets rows."""
    width = max(len(r[0]) for r in rows)
    printed = [title] + [f"{r[0]:<{width}}  {r[1]}  |  {r[2]}  |  {r[3]}" for r in rows]
    md = [f"## {title}\n", "| target | measured | comparison | met |", "|---|---|---|---|"]
    md += [f"| {r[0].strip()} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    return printed, md
