"""Dashboard load benchmark (issue #15): each dashboard's full load in a real headless
Chromium, logged in as the leader (`lanhdao`), on a published snapshot.

A load is timed by the page's own clock: from the navigation's start to the moment every
chart of the dashboard has drawn (cchc.bi.browser, performance.now()). Each dashboard is
opened once (the first open: the warm-up, reported apart) and then `repeats` more times in
the same browser (its cache warm, as a leader reopening the dashboard); the p95 and the
median are over those repeats. Results go to bench/results/<date>.json under "dashboards"
and into the day's markdown.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ..credentials import secret
from ..settings import Settings
from .harness import RESULTS_DIR, machine_info, write_results

USER = "lanhdao"


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (of 20 loads: the 19th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def measure(server, dashboards: list[str], *, repeats: int, timeout: float = 120) -> dict:
    """Open each dashboard once, then `repeats` times more, on a running SupersetServer."""
    with tempfile.TemporaryDirectory(prefix="cchc-bench-dash-") as shots:
        reports = server.browse(USER, secret("CCHC_SUPERSET_DEMO_PASSWORD"), dashboards, Path(shots) / "load.png",
                                "--repeat", str(repeats), "--timeout", str(timeout), "--all-tabs",
                                timeout=len(dashboards) * (repeats + 1) * timeout + 120)
    out = {}
    for report in reports:
        loads = [ms / 1000 for ms in report["reload_ms"] if ms is not None]
        out[report["dashboard"]] = {
            "charts": report["charts"], "errors": report["errors"],
            "first_open_s": None if report["load_ms"] is None else report["load_ms"] / 1000,
            "loads_s": loads, "timed_out": len(report["reload_ms"]) - len(loads),
            "p95_s": p95(loads) if loads else None, "median_s": statistics.median(loads) if loads else None,
            # each other tab, chosen once after the reopenings: click to its charts drawn
            "tabs": {tab["tab"]: {"charts": tab["charts"], "errors": tab["errors"],
                                  "shown_s": None if tab["shown_ms"] is None else tab["shown_ms"] / 1000}
                     for tab in report.get("tabs", [])}}
    return out


def record(server, dashboards: list[str], *, repeats: int, note: str = "") -> dict:
    """The benchmark's record (what results/<date>.json keeps) of a running SupersetServer."""
    out = {"scale": "dashboards", "machine": machine_info(),
           "description": f"the dashboards' full load in headless Chromium as {USER}, "
                          f"first open then {repeats} reopenings each (p95 over the reopenings)",
           "snapshot": str(Path(server.serving_path).resolve()),
           "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
           "load_average_start": list(os.getloadavg()), "note": note}
    started = time.perf_counter()
    out["dashboards"] = measure(server, dashboards, repeats=repeats)
    out["wall_s"] = round(time.perf_counter() - started, 1)
    out["load_average_end"] = list(os.getloadavg())
    out["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    return out


def run(settings: Settings, *, serving: Path | None = None, port: int | None = None, repeats: int = 20,
        results_dir: Path = RESULTS_DIR, note: str = "", key: str = "dashboards") -> dict:
    """Start a Superset of its own on the published snapshot (default: the serving link),
    measure every dashboard, write the results."""
    from ..bi.bundle import DASHBOARDS
    from ..bi.server import temporary_server

    with temporary_server(settings, serving_path=serving, port=port) as server:
        result = record(server, [d.slug for d in DASHBOARDS], repeats=repeats, note=note)
    write_results(results_dir, key, result)
    return result
