"""Incremental extraction from the one-stop-shop API (dlt) into a real DuckDB raw layer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import duckdb
import pytest

from cchc.extract.oss import OssSettings, extract_oss
from cchc.simulator.config import preset
from cchc.simulator.run import simulate

FIRST_NIGHT = "2025-08-16T01:00:00"
A_WEEK_LATER = "2025-08-23T01:00:00"


@pytest.fixture(scope="module")
def faulty_source(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("extract-oss")
    return simulate(preset("faulty", start=date(2025, 7, 1), end=date(2025, 8, 15)), out, settings.reference_dir)


@pytest.fixture()
def target(tmp_path):
    return tmp_path / "w.duckdb", tmp_path / "dlt"


def run(server, target, today=date(2025, 8, 31), **overrides):
    settings = replace(OssSettings(base_url=server.url, page_size=500, backoff_factor=0.05,
                                   history_start=date(2025, 6, 1)), **overrides)
    return extract_oss(*target, settings=settings, today=today)


def rows(target, sql):
    with duckdb.connect(str(target[0]), read_only=True) as con:
        return con.execute(sql).fetchall()


def versions(target) -> list[tuple]:
    return rows(target, "SELECT dossier_id, updated_at, status FROM raw_oss.dossiers ORDER BY 1, 2")


def source_state(server) -> dict[str, str]:
    import requests

    items, cursor = [], None
    while True:
        params = {"limit": 5000, **({"cursor": cursor} if cursor else {})}
        body = requests.get(f"{server.url}/api/v1/dossiers", params=params, timeout=60,
                            headers={"Authorization": "Bearer demo-oss-token"}).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return {i["dossier_id"]: i["updated_at"] for i in items}


def test_extract_twice_loads_nothing_new(oss_server_factory, faulty_source, target):
    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    run(server, target)
    first = versions(target)
    assert {(d, u) for d, u, _ in first} == set(source_state(server).items())
    assert len(first) == len({(d, u) for d, u, _ in first})  # the source's duplicates collapsed
    run(server, target)
    assert versions(target) == first
    metadata = rows(target, "SELECT count(*) FILTER (WHERE _source = 'oss_api' AND _page >= 1 "
                            "AND _dlt_load_id IS NOT NULL AND _extracted_at IS NOT NULL), count(*) FROM raw_oss.dossiers")
    assert metadata[0][0] == metadata[0][1]


def test_transient_errors_are_retried(oss_server_factory, faulty_source, target):
    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT, error_rate=0.3)
    run(server, target)
    assert {(d, u) for d, u, _ in versions(target)} == set(source_state_without_errors(server).items())


def source_state_without_errors(server):
    server.admin("faults", {"error_rate": 0.0})
    return source_state(server)


def test_resumes_after_an_interruption_without_loss_or_duplicates(oss_server_factory, faulty_source, target):
    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    expected = set(source_state(server).items())
    server.admin("faults", {"fail_after_requests": 4})  # the source goes down mid-extraction
    with pytest.raises(Exception):
        run(server, target, max_attempts=2)
    server.admin("faults", {"outage": False, "fail_after_requests": None})
    run(server, target)
    loaded = [(d, u) for d, u, _ in versions(target)]
    assert set(loaded) == expected and len(loaded) == len(expected)


def test_late_status_changes_arrive_on_the_next_night(oss_server_factory, faulty_source, target):
    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    run(server, target)
    in_progress = {d for d, _, s in versions(target) if s == "in_progress"}
    server.admin("clock", {"as_of": A_WEEK_LATER})
    run(server, target)
    latest = dict(rows(target, "SELECT dossier_id, arg_max(status, updated_at) FROM raw_oss.dossiers GROUP BY 1"))
    finished_since = {d for d in in_progress if latest[d] == "finished"}
    assert finished_since
    # Both versions are kept in raw: what the source said each night.
    history = rows(target, "SELECT dossier_id, count(*) FROM raw_oss.dossiers GROUP BY 1 HAVING count(*) > 1")
    assert {d for d, _ in history} >= finished_since


def test_corrections_arrive_as_new_versions(oss_server_factory, faulty_source, target):
    manifest = json.loads(faulty_source.manifest_path.read_text(encoding="utf-8"))
    corrected = {f["dossier_id"] for f in manifest["faults"] if f["fault"] == "status_correction"}
    server = oss_server_factory(faulty_source.oss_db, as_of="2025-09-30T01:00:00")
    run(server, target)
    loaded = {d for (d,) in rows(target, "SELECT DISTINCT dossier_id FROM raw_oss.dossiers")}
    assert corrected and corrected <= loaded


@pytest.mark.slow
def test_overlap_window_catches_back_dated_late_arrivals(oss_server_factory, faulty_source, tmp_path):
    """Records that reach the source days late carry an old update time. Without an overlap
    window the nightly extraction misses them (the reconciliation figures still count them);
    a window longer than the delay catches them all."""
    manifest = json.loads(faulty_source.manifest_path.read_text(encoding="utf-8"))
    late = {f["dossier_id"] for f in manifest["faults"] if f["fault"] == "late_arrival"}
    assert late
    loaded = {}
    for overlap in (0.0, 7.0):
        target = (tmp_path / f"w{overlap}.duckdb", tmp_path / f"dlt{overlap}")
        server = oss_server_factory(faulty_source.oss_db, as_of="2025-07-05T01:00:00")
        for night in range(6, 32):  # every night of July
            server.admin("clock", {"as_of": f"2025-07-{night:02d}T01:00:00"})
            run(server, target, today=date(2025, 7, night), overlap_days=overlap)
        ids = {d for (d,) in rows(target, "SELECT DISTINCT dossier_id FROM raw_oss.dossiers")}
        visible = set(source_state(server))
        loaded[overlap] = (ids, visible)
        server.stop()
    missed_without_overlap = loaded[0.0][1] - loaded[0.0][0]
    assert missed_without_overlap and missed_without_overlap <= late
    assert loaded[7.0][1] <= loaded[7.0][0]
    counts = rows((tmp_path / "w0.0.duckdb", None),
                  "SELECT sum(received) FROM raw_oss.daily_counts WHERE day <= '2025-07-30'")[0][0]
    extracted = rows((tmp_path / "w0.0.duckdb", None),
                     "SELECT count(DISTINCT dossier_id) FROM raw_oss.dossiers WHERE received_at < '2025-07-31'")[0][0]
    assert counts > extracted  # the reconciliation figures expose what was missed
