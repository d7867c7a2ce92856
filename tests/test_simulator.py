"""The source simulator: determinism, realism within stated bands, faults at their rates."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from datetime import date

import pytest

from cchc.simulator.config import DEFAULT_FAULTS, preset
from cchc.simulator.run import simulate

# Small but long enough to cross Tết, June 2022 (digitisation) and the 2025 reorganisation.
WINDOW = dict(start=date(2024, 1, 1), end=date(2025, 12, 31))


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clean(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("clean")
    return simulate(preset("demo", **WINDOW), out, settings.reference_dir)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("faulty")
    return simulate(preset("faulty", **WINDOW), out, settings.reference_dir)


def query(result, sql: str, *params):
    with sqlite3.connect(result.oss_db) as con:
        return con.execute(sql, params).fetchall()


def test_same_seed_gives_byte_identical_output(clean, tmp_path, settings):
    again = simulate(preset("demo", **WINDOW), tmp_path, settings.reference_dir)
    assert digest(again.oss_db) == digest(clean.oss_db)
    assert digest(again.manifest_path) == digest(clean.manifest_path)


def test_other_seed_gives_other_data(clean, tmp_path, settings):
    other = simulate(preset("demo", seed=7, start=date(2024, 1, 1), end=date(2024, 3, 31)), tmp_path,
                     settings.reference_dir)
    assert digest(other.oss_db) != digest(clean.oss_db)


def test_a_days_dossiers_do_not_depend_on_the_simulated_range(clean, tmp_path, settings):
    short = simulate(preset("demo", start=date(2024, 3, 1), end=date(2024, 3, 31)), tmp_path, settings.reference_dir)
    march = "SELECT dossier_id, procedure_code, received_at, finished_at FROM dossiers " \
            "WHERE received_at BETWEEN '2024-03-01' AND '2024-03-31T23:59:59' ORDER BY 1"
    assert query(short, march) == query(clean, march)


def test_reorganisation_moves_dossiers_to_new_communes(clean):
    rows = dict(query(clean, """
        SELECT CASE WHEN unit_key LIKE 'legacy:%' THEN 'legacy' WHEN unit_key LIKE '2025:%' THEN '2025'
                    ELSE substr(unit_key, 1, instr(unit_key, ':') - 1) END || '|' ||
               (received_at >= '2025-07-01'), count(*)
        FROM dossiers GROUP BY 1"""))
    assert rows.get("legacy|1", 0) == 0 and rows.get("2025|0", 0) == 0
    assert rows["legacy|0"] > 0 and rows["2025|1"] > 0
    assert rows.get("dept_legacy|1", 0) == 0 and rows["dept_2025|1"] > 0
    # Volume carries over the reorganisation: July-September 2025 against April-June.
    halves = dict(query(clean, "SELECT received_at >= '2025-07-01', count(*) FROM dossiers "
                               "WHERE received_at BETWEEN '2025-04-01' AND '2025-09-30T23:59:59' GROUP BY 1"))
    assert 0.75 < halves[1] / halves[0] < 1.25


def test_online_share_and_digitisation_rise(clean):
    by_year = {y: (online, digitised) for y, online, digitised in query(clean, """
        SELECT substr(received_at, 1, 4), avg(channel LIKE 'truc_tuyen%'), avg(input_digitised)
        FROM dossiers GROUP BY 1""")}
    assert by_year["2025"][0] > by_year["2024"][0] + 0.05
    assert 0.3 < by_year["2024"][0] < 0.6
    assert by_year["2025"][1] >= by_year["2024"][1]


def test_weekday_pattern_tet_dip_and_year_end_peak(clean, settings):
    per_month = dict(query(clean, "SELECT substr(received_at, 6, 2), count(*) FROM dossiers "
                                  "WHERE received_at LIKE '2024%' GROUP BY 1"))
    assert per_month["02"] < 0.8 * per_month["03"]      # Tết 2024 fell in February
    assert per_month["12"] > 1.1 * per_month["09"]      # year-end peak
    weekend = query(clean, "SELECT avg(strftime('%w', received_at) IN ('0', '6')) FROM dossiers")[0][0]
    assert weekend < 0.05
    # Offices are closed on days off (weekends not worked in lieu, holidays): only online dossiers then.
    with open(settings.reference_dir / "calendar_days.csv", encoding="utf-8") as handle:
        days_off = {r["calendar_date"] for r in csv.DictReader(handle) if r["is_working_day"] == "false"}
    in_person_days = {d for (d,) in query(clean, "SELECT DISTINCT substr(received_at, 1, 10) FROM dossiers "
                                                 "WHERE channel NOT LIKE 'truc_tuyen%'")}
    assert not in_person_days & days_off


def test_land_dossiers_are_the_slow_ones(clean):
    late = dict(query(clean, """
        SELECT procedure_code LIKE 'DAT_DAI-%', avg(finished_at > coalesce(due_at_after_supplement, due_at))
        FROM dossiers WHERE finished_at IS NOT NULL GROUP BY 1"""))
    assert late[1] > 2 * late[0]
    assert 0.08 < late[1] < 0.35 and late[0] < 0.08


def test_lifecycle_has_every_outcome(clean):
    counts = query(clean, """
        SELECT count(*), sum(supplement_requested_at IS NOT NULL), sum(suspended_at IS NOT NULL),
               sum(rejected_at IS NOT NULL), sum(withdrawn_at IS NOT NULL), sum(apology_at IS NOT NULL),
               sum(finished_at = coalesce(due_at_after_supplement, due_at)),
               sum(finished_at < received_at), sum(paid_online_at IS NOT NULL AND fee_amount IS NULL)
        FROM dossiers""")[0]
    total, supplement, suspended, rejected, withdrawn, apology, exactly_due, backwards, paid_without_fee = counts
    assert all(c > 0 for c in (supplement, suspended, rejected, withdrawn, apology, exactly_due))
    assert backwards == 0 and paid_without_fee == 0
    # Apology letters only for late dossiers.
    assert query(clean, "SELECT count(*) FROM dossiers WHERE apology_at IS NOT NULL AND "
                        "coalesce(finished_at, '9999') <= coalesce(due_at_after_supplement, due_at)")[0][0] == 0
    # No digitisation before June 2022 is checked by construction; digitised outputs only when finished.
    assert query(clean, "SELECT count(*) FROM dossiers WHERE output_digitised = 1 AND finished_at IS NULL")[0][0] == 0


def test_status_updates_arrive_after_the_simulated_end(clean):
    """Dossiers received at the end are still in progress then; their results come later."""
    assert query(clean, "SELECT count(*) FROM dossiers WHERE received_at <= '2025-12-31T23:59:59' "
                        "AND finished_at > '2026-01-01'")[0][0] > 10


def test_clean_demo_injects_nothing(clean):
    manifest = json.loads(clean.manifest_path.read_text(encoding="utf-8"))
    assert manifest["faults"] == []
    assert query(clean, "SELECT count(*) FROM dossiers WHERE duplicate = 1 OR visible_from <> received_at "
                        "OR corrected_at IS NOT NULL")[0][0] == 0


def test_faulty_run_shares_the_clean_base_data(clean, faulty):
    assert query(faulty, "SELECT count(*) FROM dossiers")[0][0] < query(clean, "SELECT count(*) FROM dossiers")[0][0]
    sample = "SELECT dossier_id, received_at, procedure_code FROM dossiers WHERE unit_key = 'dept_2025:STP' ORDER BY 1"
    assert query(faulty, sample) == query(clean, sample)


@pytest.mark.parametrize("fault, column, rate", [
    ("late_arrival", "visible_from <> received_at", DEFAULT_FAULTS.late_arrival_rate),
    ("duplicate", "duplicate = 1", DEFAULT_FAULTS.duplicate_rate),
    ("status_correction", "corrected_at IS NOT NULL", DEFAULT_FAULTS.status_correction_rate),
])
def test_dossier_faults_at_their_rate_and_in_the_manifest(faulty, fault, column, rate):
    manifest = json.loads(faulty.manifest_path.read_text(encoding="utf-8"))
    listed = {f["dossier_id"] for f in manifest["faults"] if f["fault"] == fault}
    in_data = {r[0] for r in query(faulty, f"SELECT dossier_id FROM dossiers WHERE {column}")}
    total = query(faulty, "SELECT count(*) FROM dossiers")[0][0]
    assert listed == in_data
    assert 0.6 * rate < len(in_data) / total < 1.4 * rate


def test_silent_unit_in_the_manifest_has_no_dossiers_those_days(faulty, clean):
    manifest = json.loads(faulty.manifest_path.read_text(encoding="utf-8"))
    silent = [f for f in manifest["faults"] if f["fault"] == "silent_unit"]
    assert len(silent) == DEFAULT_FAULTS.silent_units
    entry = silent[0]
    window = (entry["unit_key"], entry["first_day"], entry["last_day"] + "T23:59:59")
    condition = "SELECT count(*) FROM dossiers WHERE unit_key = ? AND received_at BETWEEN ? AND ?"
    assert query(faulty, condition, *window)[0][0] == 0
    assert query(clean, condition, *window)[0][0] == entry["dossiers_withheld"] > 0
