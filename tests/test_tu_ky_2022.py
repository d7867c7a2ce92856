"""The Tứ Kỳ 2022 report (domain.md §10) reproduced by the real models.

A dataset whose totals equal the report's is written into the raw layer the way the
one-stop-shop extraction writes it (next to the demo province's data), a real `dbt build`
runs, and every published percentage is read back from the marts and shown as the
dashboards show it: rounded half up to two decimals. The marts keep full precision:
6,989 ÷ 8,682 is 80.4999…%, shown 80.50, which the report printed as 80.49 by cutting
digits off.

Tứ Kỳ (Hải Dương) is `legacy:298`; its communes are the 23 of 2022 (seeds/sources/
admin_unit_changes.yaml: three pairs were merged on 01/12/2024, leaving the 20 of
30/06/2025), sent by their codes as a source sends them; the warehouse reports 2022 on them. Dossiers received up to 31/05 are outside the
digitisation window (var digitisation_tracking_start = 01/06/2022), as in the report.
"""

from __future__ import annotations

import random
import shutil
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

from cchc.settings import TIME_ZONE, load_settings
from cchc.transform import run_dbt

pytestmark = pytest.mark.slow

DISTRICT = "legacy:298"
# Report's district one-stop figures per sector (lĩnh vực): received, online.
DISTRICT_SECTORS = {
    "TNMT": (6468, 5036), "NV": (524, 524), "TP": (625, 507), "TCKH": (998, 855),
    "LDTBXH": (9, 9), "VHTT": (52, 52), "GDDT": (1, 1), "KTHT": (5, 5),
}
# Digitisation window 01/06-30/12/2022: received (input digitised), finished (output digitised).
DISTRICT_DIGITISATION = {"received": (2122, 1893), "finished": (2264, 1658)}
COMMUNES = {"received": 51856, "online": 35716}
COMMUNE_DIGITISATION = {"received": (34351, 31289), "finished": (33751, 16585)}

WINDOW_START = date(2022, 6, 1)


def display(value: float) -> Decimal:
    """How the dashboards show a rate: two decimals, rounded half up."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def stamp(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+07:00"


def spread(count: int, first: date, last: date) -> list[date]:
    """`count` days from `first` to `last`, evenly."""
    span = (last - first).days
    return [first + timedelta(days=(i * span) // max(count - 1, 1)) for i in range(count)]


def dossier(dossier_id, unit_key, procedure_code, online, received, finished, *, input_digitised=False,
            output_digitised=False, rng=None) -> dict:
    channel = ("truc_tuyen_toan_trinh" if rng.random() < 0.5 else "truc_tuyen_mot_phan") if online else "truc_tiep"
    return {
        "dossier_id": dossier_id, "unit_key": unit_key, "procedure_code": procedure_code, "channel": channel,
        "status": "finished" if finished else "in_progress", "received_at": stamp(received, 9),
        "due_at": stamp(received + timedelta(days=10), 17), "finished_at": stamp(finished, 10) if finished else None,
        "updated_at": stamp(finished or received, 10), "applicant_id_hash": None,
        "input_digitised": input_digitised, "reused_digitised_data": False, "output_digitised": output_digitised,
        "fee_amount": None,
    }


def district_dossiers(procedures: dict[str, str], rng: random.Random) -> list[dict]:
    flags = [(sector, i < online) for sector, (received, online) in DISTRICT_SECTORS.items() for i in range(received)]
    rng.shuffle(flags)
    in_window, input_digitised = DISTRICT_DIGITISATION["received"]
    finished_in_window, output_digitised = DISTRICT_DIGITISATION["finished"]
    before = len(flags) - in_window
    # Received before the window: most finish the next day, the last ones (received on
    # 31/05) finish on 02/06, inside the window.
    finishing_in_window_from_before = finished_in_window - in_window
    rows, finished_in_window_seen = [], 0
    received_days = (spread(before - finishing_in_window_from_before, date(2022, 1, 4), date(2022, 5, 30))
                     + [date(2022, 5, 31)] * finishing_in_window_from_before
                     + spread(in_window, WINDOW_START, date(2022, 12, 29)))
    for i, ((sector, online), received) in enumerate(zip(flags, received_days)):
        finished = received + timedelta(days=2 if received == date(2022, 5, 31) else 1)
        in_finish_window = finished >= WINDOW_START
        rows.append(dossier(
            f"TUKY-H-{i:05d}", DISTRICT, procedures[sector], online, received, finished, rng=rng,
            input_digitised=received >= WINDOW_START and i - before < input_digitised,
            output_digitised=in_finish_window and finished_in_window_seen < output_digitised))
        finished_in_window_seen += in_finish_window
    return rows


def commune_dossiers(communes: list[str], procedure: str, rng: random.Random) -> list[dict]:
    total = COMMUNES["received"]
    in_window, input_digitised = COMMUNE_DIGITISATION["received"]
    finished_in_window, output_digitised = COMMUNE_DIGITISATION["finished"]
    before = total - in_window
    online = [i < COMMUNES["online"] for i in range(total)]
    rng.shuffle(online)
    received_days = spread(before, date(2022, 1, 4), date(2022, 5, 30)) + spread(in_window, WINDOW_START, date(2022, 12, 29))
    rows = []
    for i, received in enumerate(received_days):
        k = i - before  # position inside the window
        # Inside the window the last ones are still open on 30/12 (finished in January 2023).
        finished = received + timedelta(days=1) if k < finished_in_window else date(2023, 1, 5)
        rows.append(dossier(
            f"TUKY-X-{i:05d}", communes[i % len(communes)], procedure, online[i], received, finished, rng=rng,
            input_digitised=0 <= k < input_digitised, output_digitised=0 <= k < output_digitised))
    return rows


def load_raw(con, rows: list[dict]) -> None:
    """What the extractor writes: a new load, extracted now (local time, as dlt stores it)."""
    load_id = f"{time.time():.7f}"
    frame = pd.DataFrame(rows).assign(
        _source="oss_api", _page=1, _extracted_at=datetime.now(ZoneInfo(TIME_ZONE)).replace(microsecond=0, tzinfo=None), _dlt_load_id=load_id)
    con.register("tu_ky_rows", frame)
    con.execute("INSERT INTO raw_oss.dossiers BY NAME SELECT * FROM tu_ky_rows")
    con.execute("""INSERT INTO raw_oss._dlt_loads (load_id, schema_name, status, inserted_at, schema_version_hash)
                   SELECT ?, schema_name, 0, now(), schema_version_hash FROM raw_oss._dlt_loads LIMIT 1""", [load_id])
    con.unregister("tu_ky_rows")


def build_area_marts(warehouse, work, *args: str) -> None:
    result = run_dbt(load_settings(), ["build", "--select", "+mart_dossier_kpis_sector", "+mart_dossier_kpis_area",
                                        "--indirect-selection", "cautious", *args],
                     warehouse=warehouse, target_dir=work)
    assert result.returncode == 0 and not result.failures, (result.failures, result.stdout[-3000:])


def make_tu_ky_warehouse(demo_warehouse, work):
    """The demo warehouse plus Tứ Kỳ's 2022 dossiers, after a real dbt build of the marts,
    in `work` (conftest.tu_ky_warehouse: built once for this module and test_report)."""
    warehouse = work / "cchc.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    rng = random.Random(2022)
    with duckdb.connect(str(warehouse)) as con:
        procedures = dict(con.execute("""
            SELECT f.sector_code, min(p.procedure_code) FROM reference.procedures p
            JOIN reference.procedure_fields f USING (field_code)
            WHERE p.level = 'district' GROUP BY 1""").fetchall())
        # The codes of the communes of 2022, as the one-stop shop sends them ('legacy:<code>').
        communes = [key for (key,) in con.execute(
            "SELECT DISTINCT scheme || ':' || code FROM reference.admin_units WHERE parent_unit_key = ? "
            "AND coalesce(valid_from, DATE '2022-01-01') <= DATE '2022-01-01' AND valid_to >= DATE '2022-12-31' "
            "ORDER BY 1", [DISTRICT]).fetchall()]
        commune_procedure = con.execute("""
            SELECT min(procedure_code) FROM reference.procedures p JOIN reference.procedure_fields f USING (field_code)
            WHERE p.level = 'commune' AND f.sector_code = 'TP'""").fetchall()[0][0]
        assert len(communes) == 23 and set(DISTRICT_SECTORS) <= set(procedures)
        load_raw(con, district_dossiers(procedures, rng) + commune_dossiers(communes, commune_procedure, rng))
    build_area_marts(warehouse, work)
    return warehouse, procedures, communes


@pytest.fixture(scope="module")
def tu_ky(tu_ky_warehouse):
    con = duckdb.connect(str(tu_ky_warehouse[0]), read_only=True)
    yield con
    con.close()


def year_2022(con, table: str, where: str, *params):
    return con.execute(f"SELECT * FROM marts.{table} WHERE period_type = 'year' AND period_start = DATE '2022-01-01' "
                       f"AND {where}", list(params)).fetchdf()


def test_2022_is_reported_on_the_units_of_2022(tu_ky):
    """Three pairs of communes merged on 01/12/2024 keeping one code each: the 2022 dossiers
    sent with those codes count in the communes of 2022 (Tái Sơn, not Kỳ Sơn), and the
    lineage names the resolution."""
    units = dict(tu_ky.execute("""
        SELECT u.unit_name, k.received_total FROM marts.mart_dossier_kpis_unit k JOIN marts.dim_unit u USING (unit_key)
        WHERE u.parent_unit_key = ? AND k.period_type = 'year' AND k.period_start = DATE '2022-01-01'
    """, [DISTRICT]).fetchall())
    assert len(units) == 23 and sum(units.values()) == COMMUNES["received"]
    assert {"Xã Ngọc Kỳ", "Xã Tái Sơn", "Xã Dân Chủ", "Xã Quảng Nghiệp", "Xã Phượng Kỳ", "Xã Cộng Lạc"} <= set(units)
    assert not {"Xã Kỳ Sơn", "Xã Dân An", "Xã Lạc Phượng"} & set(units)
    assert tu_ky.execute("""
        SELECT s.unit_name, l.effective_date, l.legal_basis FROM marts.dim_unit_lineage l
        JOIN marts.dim_unit p ON p.unit_key = l.predecessor_unit_key JOIN marts.dim_unit s ON s.unit_key = l.successor_unit_key
        WHERE p.unit_name = 'Xã Tái Sơn' AND p.parent_unit_key = ?""", [DISTRICT]).fetchall() == [
        ("Xã Kỳ Sơn", date(2024, 12, 1), "Nghị quyết 1246/NQ-UBTVQH15 ngày 24/10/2024")]


def test_district_online_share_by_sector(tu_ky):
    sectors = year_2022(tu_ky, "mart_dossier_kpis_sector", "unit_key = ?", DISTRICT).set_index("sector_code")
    assert {s: int(sectors.loc[s, "received_total"]) for s in DISTRICT_SECTORS} == {
        s: received for s, (received, _) in DISTRICT_SECTORS.items()}
    shown = {s: display(sectors.loc[s, "online_share"]) for s in DISTRICT_SECTORS}
    assert shown == {"TNMT": Decimal("77.86"), "NV": Decimal("100.00"), "TP": Decimal("81.12"),
                     "TCKH": Decimal("85.67"), "LDTBXH": Decimal("100.00"), "VHTT": Decimal("100.00"),
                     "GDDT": Decimal("100.00"), "KTHT": Decimal("100.00")}


def test_online_share_of_district_communes_and_both_levels(tu_ky):
    area = year_2022(tu_ky, "mart_dossier_kpis_area", "area_unit_key = ?", DISTRICT).set_index("unit_scope")
    district = area.loc["own"]
    assert (int(district.received_total), int(district.received_toan_trinh + district.received_mot_phan)) == (8682, 6989)
    # Full precision in the mart; half up for display; the report cut the digits off.
    assert district.online_share == pytest.approx(6989 * 100 / 8682, abs=1e-9)
    assert display(district.online_share) == Decimal("80.50")
    assert Decimal(repr(float(district.online_share))).quantize(Decimal("0.01"), rounding=ROUND_DOWN) == Decimal("80.49")
    assert (int(area.loc["commune"].received_total), display(area.loc["commune"].online_share)) == (51856, Decimal("68.88"))
    assert (int(area.loc["all"].received_total), display(area.loc["all"].online_share)) == (60538, Decimal("70.54"))


def test_digitisation_rates_june_to_december(tu_ky):
    area = year_2022(tu_ky, "mart_dossier_kpis_area", "area_unit_key = ?", DISTRICT).set_index("unit_scope")
    shown = {scope: (display(area.loc[scope].input_digitisation_rate), display(area.loc[scope].output_digitisation_rate))
             for scope in ("own", "commune")}
    assert shown == {"own": (Decimal("89.21"), Decimal("73.23")), "commune": (Decimal("91.09"), Decimal("49.14"))}
    assert (int(area.loc["own"].digitisation_tracked_received), int(area.loc["own"].digitisation_tracked_finished)) == (2122, 2264)
    assert display(area.loc["all"].output_digitisation_rate) == Decimal("50.65")


def test_unit_mart_agrees_with_the_area_mart(tu_ky):
    unit = year_2022(tu_ky, "mart_dossier_kpis_unit", "unit_key = ?", DISTRICT).iloc[0]
    own = year_2022(tu_ky, "mart_dossier_kpis_area", "area_unit_key = ? AND unit_scope = 'own'", DISTRICT).iloc[0]
    assert (unit.received_total, unit.online_share, unit.output_digitisation_rate) == (
        own.received_total, own.online_share, own.output_digitisation_rate)


def test_the_report_cut_off_reproduces_the_report(tu_ky_warehouse, tmp_path):
    """The report counts "từ 01/6 đến 30/12/2022" (domain.md §3, "Reporting period end"):
    dossiers received and finished on 31/12/2022, after its cut-off, arrive in the data;
    a build with var report_period_end = 2022-12-30 still gives the report's figures, the
    dossiers open on 30/12 and finished on 31/12 counting as in progress at the period's end."""
    warehouse = tmp_path / "cchc.duckdb"
    shutil.copy(tu_ky_warehouse[0], warehouse)
    procedures, communes = tu_ky_warehouse[1], tu_ky_warehouse[2]
    rng = random.Random(31)
    late = [dossier(f"TUKY-31-{i}", unit, procedure, True, date(2022, 12, 31), date(2022, 12, 31),
                    input_digitised=True, output_digitised=True, rng=rng)
            for i, (unit, procedure) in enumerate([(DISTRICT, procedures["TP"])] * 5 + [(communes[0], procedures["TP"])] * 3)]
    with duckdb.connect(str(warehouse)) as con:
        load_raw(con, late)
    build_area_marts(warehouse, tmp_path, "--exclude", "test_type:unit", "--vars", "{report_period_end: 2022-12-30}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        area = year_2022(con, "mart_dossier_kpis_area", "area_unit_key = ?", DISTRICT).set_index("unit_scope")
        december = con.execute("""SELECT max(period_start) FROM marts.mart_dossier_kpis_area
                                  WHERE area_unit_key = ? AND period_type = 'month'""", [DISTRICT]).fetchone()[0]
    own, commune = area.loc["own"], area.loc["commune"]
    assert (int(own.received_total), display(own.online_share)) == (8682, Decimal("80.50"))
    assert (display(own.input_digitisation_rate), display(own.output_digitisation_rate)) == (Decimal("89.21"), Decimal("73.23"))
    assert (int(commune.received_total), display(commune.output_digitisation_rate)) == (51856, Decimal("49.14"))
    assert display(area.loc["all"].output_digitisation_rate) == Decimal("50.65")
    assert december == date(2022, 12, 1)  # no period after the cut-off
