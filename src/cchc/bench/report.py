"""The markdown summary of bench/results/<date>.json: one table per scale, the targets of
issue #8 with the margin by which each is met or missed, and the ratios to the floor and
to pandas."""

from __future__ import annotations

from pathlib import Path

GIB = 1024.0
NATIONAL_DOSSIERS = 100_000_000
DASHBOARD_TARGET_S = 3.0  # issue #15: p95 of a dashboard's full load in a browser


def _fmt_s(value: float | None) -> str:
    return "—" if value is None else (f"{value:.2f} s" if value < 10 else f"{value:.0f} s")


def _steps_sum(steps: dict, names: list[str]) -> tuple[float | None, float | None]:
    """Wall seconds summed and the highest peak of a sequence; None when a step is missing."""
    wall, peak = 0.0, 0.0
    for name in names:
        entry = steps.get(name)
        if entry is None or entry.get("not_measured"):
            continue
        if not entry.get("ok"):
            return None, None
        wall += entry["wall_s"]
        peak = max(peak, entry["peak_rss_mib"])
    return wall, peak


def derived(run: dict) -> dict:
    steps = run["steps"]
    out = {}
    out["history_end_to_end_s"], _ = _steps_sum(steps, ["load_history", "dbt_build_full", "validate_history", "publish_history"])
    out["night_end_to_end_s"], _ = _steps_sum(steps, ["load_night", "dbt_build_incremental", "validate_night", "publish_night"])
    build = steps.get("dbt_build_full", {})
    floor = steps.get("floor_sql", {})
    pandas = steps.get("pandas_kpis", {})
    if build.get("ok") and floor.get("ok"):
        out["build_over_floor"] = build["wall_s"] / floor["wall_s"]
    if build.get("ok") and pandas.get("ok"):
        rows_total = steps.get("load_history", {}).get("result", {}).get("raw_rows")
        rows_read = pandas.get("result", {}).get("dossier_versions_read")
        scale = (rows_total / rows_read) if rows_total and rows_read and run["parameters"].get("pandas_provinces") else 1.0
        out["pandas_extrapolation_factor"] = scale
        out["pandas_s"] = pandas["wall_s"] * scale
        out["pandas_over_build"] = out["pandas_s"] / build["wall_s"]
    queries = steps.get("dashboard_queries", {}).get("result") or {}
    if queries:
        out["query_p95_max_s"] = max(q["p95_s"] for q in queries.values())
    return out


def _target(label: str, value: float | None, limit: float, unit: str, higher_is_better: bool = False) -> str:
    if value is None:
        return f"| {label} | {'≥' if higher_is_better else '≤'} {limit:g} {unit} | not measured | — |"
    met = value >= limit if higher_is_better else value <= limit
    if met:
        verdict = "met"
    elif higher_is_better:
        verdict = f"MISSED: {value:.2f} {unit} where ≥ {limit:g} {unit} is wanted ({limit / value if value else float('inf'):.1f}× short)"
    else:
        verdict = f"MISSED by {value - limit:.2f} {unit} ({value / limit:.2f}× the target)"
    return f"| {label} | {'≥' if higher_is_better else '≤'} {limit:g} {unit} | {value:.2f} {unit} | {verdict} |"


def targets(run: dict) -> list[str]:
    d, steps = derived(run), run["steps"]
    rows = []
    if run["scale"] in ("province", "ci"):
        rows.append(_target("province-night: nightly sequence end to end", d.get("night_end_to_end_s"), 120, "s"))
        rows.append(_target("province-night: dbt build (incremental)", steps.get("dbt_build_incremental", {}).get("wall_s"), 30, "s"))
        rows.append(_target("province full history: end to end", d.get("history_end_to_end_s"), 600, "s"))
    if run["scale"] in ("national", "ci"):
        build = steps.get("dbt_build_full", {})
        factor = NATIONAL_DOSSIERS / run["parameters"]["dossiers"]
        at = f" — at {run['parameters']['dossiers']:,} dossiers" if run["scale"] == "national" and factor > 1 else ""
        first = len(rows)
        rows.append(_target("national: full dbt build", build.get("wall_s") if build.get("ok") else None, 600, "s"))
        if run["scale"] == "national" and factor > 1 and build.get("ok"):
            rows.append(_target(f"national: full dbt build, extrapolated ×{factor:g} to {NATIONAL_DOSSIERS:,} dossiers "
                                "(linear; an estimate, not a measurement)", build["wall_s"] * factor, 600, "s"))
        peak = max((e.get("peak_rss_mib") or 0) for e in steps.values()) / GIB if steps else None
        rows.append(_target("national: peak memory of any step", peak, 12, "GiB"))
        rows.append(_target("national: dbt build ÷ floor", d.get("build_over_floor"), 3, "×"))
        rows.append(_target("national: dashboard query p95 (slowest query)", d.get("query_p95_max_s"), 1, "s"))
        rows.append(_target("national: pandas ÷ dbt build", d.get("pandas_over_build"), 10, "×", higher_is_better=True))
        for i in range(first, len(rows)):
            if "extrapolated" not in rows[i]:
                label = rows[i].split(" | ", 1)
                rows[i] = label[0] + at + " | " + label[1]
    return rows


def markdown(runs: dict, day: str) -> str:
    lines = [f"# Benchmark results {day}", ""]
    for name, run in runs.items():
        if run["scale"] == "dashboards":
            lines += [f"## {name}: {run['description']}", "", *dashboards_section(run), ""]
            continue
        m = run["machine"]
        lines += [f"## {name}: {run['description']}", "",
                  f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, DuckDB {m['duckdb']}; "
                  f"DuckDB limits {run['duckdb_resources']['memory_limit']}, {run['duckdb_resources']['threads']} threads. "
                  f"Load average at start {run['load_average_start'][0]:.2f}, at end {run['load_average_end'][0]:.2f} "
                  f"({m['cores']} cores: a load above {m['cores']} means other work shared the machine). "
                  f"Run {run['started_utc']} → {run['finished_utc']}.", "",
                  "| step | wall | peak memory | note |", "|---|---|---|---|"]
        for step, entry in run["steps"].items():
            if entry.get("not_measured"):
                lines.append(f"| {step} | not measured | — | {entry['not_measured']} |")
                continue
            result = entry.get("result") or {}
            note = "FAILED: " + entry.get("error", "")[-160:].replace("\n", " ").replace("|", "/") if not entry["ok"] else \
                ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, (int, float, str)) and k != "snapshot")[:160]
            lines.append(f"| {step} | {_fmt_s(entry.get('wall_s'))} | {entry.get('peak_rss_mib', 0) / GIB:.2f} GiB | {note} |")
        d = derived(run)
        sizes = ", ".join(f"{k.replace('_bytes', '')} {run[k] / 2**30:.2f} GiB" for k in
                          ("parquet_bytes", "warehouse_bytes_history", "warehouse_bytes", "serving_bytes") if k in run)
        lines += ["", f"Sizes on disk: {sizes}." if sizes else ""]
        queries = run["steps"].get("dashboard_queries", {}).get("result") or {}
        if queries:
            lines += ["", "| dashboard query (representative, on the serving snapshot) | p95 | median |", "|---|---|---|"]
            lines += [f"| {q} | {v['p95_s'] * 1000:.0f} ms | {v['median_s'] * 1000:.0f} ms |" for q, v in queries.items()]
        ratios = []
        if "build_over_floor" in d:
            ratios.append(f"dbt full build ÷ hand-written floor = {d['build_over_floor']:.2f}×")
        floor = run["steps"].get("floor_sql", {})
        if "pandas_s" in d and floor.get("ok"):
            ratios.append(f"pandas ÷ floor (the same KPIs) = {d['pandas_s'] / floor['wall_s']:.2f}×")
        if "pandas_over_build" in d:
            extra = (f" (pandas ran on {', '.join(run['parameters']['pandas_provinces'])} and is extrapolated "
                     f"×{d['pandas_extrapolation_factor']:.1f} by rows)") if d.get("pandas_extrapolation_factor", 1) != 1 else ""
            ratios.append(f"pandas ÷ dbt full build = {d['pandas_over_build']:.2f}×{extra}")
        if ratios:
            lines += ["", "Ratios: " + "; ".join(ratios) + "."]
        rows = targets(run)
        if rows:
            lines += ["", "| target (issue #8) | target | measured | verdict |", "|---|---|---|---|", *rows]
        lines.append("")
    return "\n".join(lines) + "\n"


def dashboards_section(run: dict) -> list[str]:
    """The dashboard load benchmark's section (cchc.bench.dashboards)."""
    m = run["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. Load average at start "
             f"{run['load_average_start'][0]:.2f}, at end {run['load_average_end'][0]:.2f}. "
             f"Run {run['started_utc']} → {run['finished_utc']}; snapshot `{Path(run['snapshot']).name}`."
             + (f" {run['note']}" if run.get("note") else ""), "",
             f"| dashboard | charts (on opening) | first open | median | p95 | target p95 ≤ {DASHBOARD_TARGET_S:g} s |", "|---|---|---|---|---|---|"]
    for slug, d in run["dashboards"].items():
        verdict = "not measured" if d["p95_s"] is None else (
            "met" if d["p95_s"] <= DASHBOARD_TARGET_S else f"MISSED ({d['p95_s'] / DASHBOARD_TARGET_S:.2f}× the target)")
        if d["errors"] or d["timed_out"]:
            verdict += f"; {len(d['errors'])} chart errors, {d['timed_out']} loads not drawn in time"
        first = "—" if d["first_open_s"] is None else f"{d['first_open_s']:.2f} s"
        median = "—" if d["median_s"] is None else f"{d['median_s']:.2f} s"
        p95_s = "—" if d["p95_s"] is None else f"{d['p95_s']:.2f} s"
        lines.append(f"| {slug} | {d['charts']} | {first} | {median} | {p95_s} | {verdict} |")
    tabs = [(slug, label, t) for slug, d in run["dashboards"].items() for label, t in d.get("tabs", {}).items()]
    if tabs:  # charts counts the tab a dashboard opens on; the others draw when chosen
        lines += ["", "| dashboard | other tab (chosen once, after the reopenings) | charts shown | click to drawn |",
                  "|---|---|---|---|"]
        lines += [f"| {slug} | {label} | {t['charts']} | "
                  f"{'—' if t['shown_s'] is None else format(t['shown_s'], '.2f') + ' s'}"
                  f"{'; ' + str(len(t['errors'])) + ' chart errors' if t['errors'] else ''} |" for slug, label, t in tabs]
    return lines
