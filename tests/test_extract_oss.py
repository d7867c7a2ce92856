"""Incremental extraction from the one-stop-shop API (dlt) into a real DuckDB raw layer."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta

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


def rows(target, sql, *params):
    with duckdb.connect(str(target[0]), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


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
    with pytest.raises(Exception):  # noqa: B017 - whichever error the outage raises, it must stop the run
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


def set_visible_from(db, dossier_id: str, visible_from: str) -> str:
    """Move when the source shows a dossier (a late arrival); returns the previous value."""
    with sqlite3.connect(db) as con:
        (before,) = con.execute("SELECT visible_from FROM dossiers WHERE dossier_id = ?", [dossier_id]).fetchone()
        con.execute("UPDATE dossiers SET visible_from = ? WHERE dossier_id = ?", [visible_from, dossier_id])
    return before


def as_an_earlier_version_left_it(target) -> None:
    """Rewrite dlt's state as the extractor before dlt's incremental cursor kept it: a
    ``watermark`` (the newest update time loaded) per resource."""
    import dlt

    @dlt.source(name="oss")
    def earlier_version():
        def rewound(name):
            @dlt.resource(name=name)
            def resource():
                state = dlt.current.resource_state()
                state["watermark"] = state.pop("incremental")["updated_at"]["last_value"]
                yield from ()
            return resource
        return rewound("dossiers"), rewound("feedback")

    pipeline = dlt.pipeline(pipeline_name="cchc_oss", destination=dlt.destinations.duckdb(str(target[0])),
                            dataset_name="raw_oss", pipelines_dir=str(target[1]))
    pipeline.run(earlier_version())
    assert "watermark" in pipeline.state["sources"]["oss"]["resources"]["dossiers"]


def resource_state(target, name: str) -> dict:
    import dlt

    return dlt.attach(pipeline_name="cchc_oss", pipelines_dir=str(target[1])).state["sources"]["oss"]["resources"][name]


@pytest.mark.parametrize("upgraded", [False, True], ids=["cursor", "old-watermark"])
def test_an_update_inside_the_lag_is_picked_up_and_older_records_are_not_re_read(
        oss_server_factory, faulty_source, tmp_path, target, upgraded):
    """A dossier that reaches the source late, its update time a day and a half before the
    newest one loaded, arrives with the next run (dlt's cursor lags 2 days); records updated
    before the lag are not asked for again. ``upgraded``: the first run after an upgrade
    from the extractor that kept its own watermark resumes from that watermark the same way
    (nothing re-extracted, nothing skipped)."""
    db = shutil.copy(faulty_source.oss_db, tmp_path / "oss.sqlite")
    server = oss_server_factory(db, as_of=FIRST_NIGHT)
    updated = source_state(server)
    newest = max(updated.values())
    lagged = (datetime.fromisoformat(newest) - timedelta(days=2)).isoformat()
    day_and_half_before = (datetime.fromisoformat(newest) - timedelta(days=1.5)).isoformat()
    late = min((u, d) for d, u in updated.items() if u > day_and_half_before)[1]
    visible_from = set_visible_from(db, late, "2025-08-30T00:00:00")
    server.admin("clock", {"as_of": FIRST_NIGHT})  # the source shows its state without it
    run(server, target)
    assert late not in {d for d, _, _ in versions(target)}
    assert max(u for _, u, _ in versions(target)) == newest
    if upgraded:
        as_an_earlier_version_left_it(target)
    set_visible_from(db, late, visible_from)
    server.admin("clock", {"as_of": FIRST_NIGHT})  # same night: only the late dossier is new
    summary = run(server, target)
    assert (late, updated[late]) in {(d, u) for d, u, _ in versions(target)}
    re_read = rows(target, "SELECT min(updated_at), count(*) FROM raw_oss.dossiers WHERE _dlt_load_id = ?",
                   summary.load_id)[0]
    assert lagged < re_read[0] and re_read[1] == sum(u > lagged for u in updated.values())
    kept = rows(target, "SELECT count(*) FROM raw_oss.dossiers WHERE updated_at <= ?", lagged)[0][0]
    assert kept > re_read[1]  # the history before the lag stays as the first run loaded it
    loaded = [(d, u) for d, u, _ in versions(target)]
    assert len(loaded) == len(set(loaded)) == len(updated)
    state = resource_state(target, "dossiers")
    assert "watermark" not in state and state["incremental"]["updated_at"]["last_value"] == newest


def test_an_update_time_in_another_shape_stops_the_extraction():
    """dlt compares the text cursor as text: a value in another shape must not slip through."""
    import pyarrow as pa

    from cchc.extract.oss import _checked_cursor

    page = pa.table({"updated_at": ["2025-08-15T10:00:00+07:00"]})
    assert _checked_cursor(page) is page
    with pytest.raises(ValueError, match="2025-08-15T03:00:00Z"):
        _checked_cursor(pa.table({"updated_at": ["2025-08-15T10:00:00+07:00", "2025-08-15T03:00:00Z"]}))


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


# --- personal data, recovery, identity of the server (issue #13) ----------------------------

def source_people(server) -> list[dict]:
    """Applicants' name, ID number and phone as the source sends them."""
    import requests

    body = requests.get(f"{server.url}/api/v1/dossiers", params={"limit": 5000}, timeout=60,
                        headers={"Authorization": "Bearer demo-oss-token"}).json()
    return [{k: i[k] for k in ("dossier_id", "applicant_name", "applicant_id_number", "applicant_phone")}
            for i in body["items"]]


def test_personal_data_never_reaches_the_warehouse_or_dlt_files(oss_server_factory, faulty_source, target):
    from cchc.personal_data import pii_key, pseudonymise

    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    run(server, target)
    people = [p for p in source_people(server) if p["applicant_id_number"] and p["applicant_phone"]]
    assert len(people) > 100
    columns = {c for (c,) in rows(target, "SELECT column_name FROM information_schema.columns "
                                          "WHERE table_schema = 'raw_oss' AND table_name = 'dossiers'")}
    assert not columns & {"applicant_name", "applicant_id_number", "applicant_phone"}
    hashes = dict(rows(target, "SELECT dossier_id, applicant_id_hash FROM raw_oss.dossiers"))
    key = pii_key()
    assert all(hashes[p["dossier_id"]] == pseudonymise(p["applicant_id_number"], key) for p in people)
    # No name, ID number or phone in any text column of any table, staging dataset included.
    values = {p[k] for p in people for k in ("applicant_name", "applicant_id_number", "applicant_phone")}
    with duckdb.connect(str(target[0]), read_only=True) as con:
        con.execute("CREATE TEMP TABLE personal (v VARCHAR)")
        con.executemany("INSERT INTO personal VALUES (?)", [[v] for v in values])
        text_columns = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                                   "WHERE data_type = 'VARCHAR' AND table_schema NOT IN ('temp', 'main')").fetchall()
        found = [(s, t, c) for s, t, c in text_columns if con.execute(
            f'SELECT count(*) FROM "{s}"."{t}" WHERE "{c}" IN (SELECT v FROM personal)').fetchone()[0]]
    assert not found
    dlt_dir = target[1]
    assert (dlt_dir.stat().st_mode & 0o777) == 0o700
    leftovers = [p for p in dlt_dir.rglob("*") if p.is_file()
                 and any(v.encode() in p.read_bytes() for v in list(values)[:200])]
    assert not leftovers
    assert not list(dlt_dir.rglob("loaded/*"))


def test_personal_columns_of_an_older_warehouse_are_scrubbed(oss_server_factory, faulty_source, target):
    from cchc.extract.oss import scrub_retired_personal_columns
    from cchc.personal_data import pii_key, pseudonymise

    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    run(server, target)
    with duckdb.connect(str(target[0])) as con:  # what an earlier version of the extractor left
        for column in ("applicant_name", "applicant_id_number", "applicant_phone"):
            con.execute(f"ALTER TABLE raw_oss.dossiers ADD COLUMN {column} VARCHAR")
        con.execute("UPDATE raw_oss.dossiers SET applicant_name = 'Nguyễn Văn An', applicant_id_number = "
                    "'030080000001', applicant_phone = '0912345678', applicant_id_hash = NULL")
    assert scrub_retired_personal_columns(target[0]) > 0
    left = rows(target, "SELECT count(*) FILTER (WHERE applicant_name IS NOT NULL OR applicant_id_number IS NOT NULL "
                        "OR applicant_phone IS NOT NULL), min(applicant_id_hash), max(applicant_id_hash) "
                        "FROM raw_oss.dossiers")[0]
    assert left == (0, pseudonymise("030080000001", pii_key()), pseudonymise("030080000001", pii_key()))
    assert scrub_retired_personal_columns(target[0]) == 0


def test_an_interrupted_load_is_completed_and_the_source_still_asked_for_news(oss_server_factory, faulty_source,
                                                                              target):
    """A kill between dlt's normalize and load leaves a pending package: the next run loads
    it and then still extracts what is new (dlt's own `run` would stop after the package)."""
    import dlt

    from cchc.extract.oss import oss_source

    server = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    run(server, target)
    server.admin("clock", {"as_of": "2025-08-19T01:00:00"})
    in_the_package = set(source_state(server).items())
    settings = OssSettings(base_url=server.url, page_size=500, history_start=date(2025, 6, 1))
    pipeline = dlt.pipeline(pipeline_name="cchc_oss", destination=dlt.destinations.duckdb(str(target[0])),
                            dataset_name="raw_oss", pipelines_dir=str(target[1]), progress="log")
    pipeline.extract(oss_source(settings, date(2025, 8, 31)), loader_file_format="parquet")
    pipeline.normalize()  # ... and the process is killed here
    assert pipeline.has_pending_data
    server.admin("clock", {"as_of": A_WEEK_LATER})
    summary = run(server, target)
    assert len(summary.resumed) == 1 and summary.load_id not in summary.resumed
    assert "resumed interrupted load" in summary.report()
    loaded = [(d, u) for d, u, _ in versions(target)]
    assert in_the_package | set(source_state(server).items()) <= set(loaded)
    assert len(loaded) == len(set(loaded))


def test_the_extraction_refuses_a_server_that_is_not_the_one_started(oss_server_factory, faulty_source, target):
    from cchc.extract.oss import WrongServerError

    ours = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    other = oss_server_factory(faulty_source.oss_db, as_of=A_WEEK_LATER)
    with pytest.raises(WrongServerError, match=ours.instance):
        run(other, target, expected_instance=ours.instance)
    assert not target[0].exists() or not rows(target, "SELECT count(*) FROM information_schema.tables "
                                                      "WHERE table_schema = 'raw_oss' AND table_name = 'dossiers'")[0][0]
    run(ours, target, expected_instance=ours.instance)
    assert versions(target)


def test_a_server_whose_port_is_taken_fails_at_once(oss_server_factory, faulty_source, tmp_path):
    import time

    from cchc.local_server import PortInUseError
    from cchc.sources.oss.process import OssServer

    running = oss_server_factory(faulty_source.oss_db, as_of=FIRST_NIGHT)
    started = time.monotonic()
    with pytest.raises(PortInUseError, match=f"port {running.port}"):
        OssServer(faulty_source.oss_db, running.port, log_file=tmp_path / "second.log").start()
    assert time.monotonic() - started < 5
