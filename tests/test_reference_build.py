"""Building and loading the reference data: drift, bad input, atomic replacement."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import run_cchc

from cchc.reference.departments import build_department_tables
from cchc.reference.procedures import build_procedure_tables
from cchc.reference.tables import ReferenceDataError
from cchc.reference.unit_history import apply_unit_history


def test_committed_reference_matches_its_sources():
    """seeds/reference/ is generated: rebuilding from the sources changes nothing."""
    result = run_cchc("reference", "build", "--check", check=False)
    assert result.returncode == 0, result.stderr


def test_reference_files_are_utf8_nfc(settings):
    import unicodedata

    for path in settings.reference_dir.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text), path


def _copy_reference(settings, tmp_path: Path) -> Path:
    target = tmp_path / "reference"
    shutil.copytree(settings.reference_dir, target)
    return target


def test_hand_edited_csv_is_refused_and_warehouse_left_untouched(settings, tmp_path):
    db = tmp_path / "w.duckdb"
    run_cchc("reference", "load", "--warehouse", str(db))
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT * FROM reference.load_manifest ORDER BY 1").fetchall()

    reference = _copy_reference(settings, tmp_path)
    procedures = reference / "procedures.csv"
    procedures.write_text(procedures.read_text(encoding="utf-8").replace("toan_trinh", "mot_phan", 1), encoding="utf-8")
    result = run_cchc("reference", "load", "--warehouse", str(db), check=False,
                      env={"CCHC_HOME": str(_project_with(settings, tmp_path, reference))})
    assert result.returncode == 2
    assert "procedures.csv: checksum differs" in result.stderr

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT * FROM reference.load_manifest ORDER BY 1").fetchall() == before


def test_failed_load_rolls_back_every_table(settings, tmp_path):
    """A table that fails its checks after others were replaced leaves all of them as before."""
    db = tmp_path / "w.duckdb"
    run_cchc("reference", "load", "--warehouse", str(db))
    reference = _copy_reference(settings, tmp_path)
    # Duplicate a primary key in the last table and re-sign the files, as a buggy builder would.
    schema_path = reference / "_schema.json"
    import hashlib
    import json

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    last = schema["tables"][-1]
    csv_path = reference / f"{last['name']}.csv"
    lines = csv_path.read_text(encoding="utf-8").splitlines(keepends=True)
    csv_path.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    last["row_count"] += 1
    last["sha256"] = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    schema_path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")

    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM reference.calendar_days WHERE year = 2030")
        before = con.execute("SELECT count(*) FROM reference.calendar_days").fetchone()[0]
    result = run_cchc("reference", "load", "--warehouse", str(db), check=False,
                      env={"CCHC_HOME": str(_project_with(settings, tmp_path, reference))})
    assert result.returncode == 2
    assert f"{last['name']}.csv: 1 duplicate values of primary key" in result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        # calendar_days was replaced earlier in the same transaction; the rollback undid it.
        assert con.execute("SELECT count(*) FROM reference.calendar_days").fetchone()[0] == before


def _project_with(settings, tmp_path: Path, reference: Path) -> Path:
    """A project root whose seeds/reference is the given folder."""
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "reference").symlink_to(reference)
    return root


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_successor_department_names_the_entry(tmp_path):
    path = _write(tmp_path / "departments.yaml", """
schemes:
  dept_legacy: {valid_from: null, valid_to: 2025-02-28}
  dept_2025: {valid_from: 2025-03-01, valid_to: null}
departments:
  dept_legacy:
    - {code: SNV, name: Sở Nội vụ, type: Sở, successors: [SNV]}
    - {code: SKHDT, name: Sở Kế hoạch và Đầu tư, type: Sở, successors: [STC]}
  dept_2025:
    - {code: SNV, name: Sở Nội vụ, type: Sở}
""")
    with pytest.raises(ReferenceDataError, match=r"departments.yaml: departments.dept_legacy\[2\] \(SKHDT\): "
                                                 r"successor 'STC' is not a department of scheme dept_2025"):
        build_department_tables(path, "42")


CATALOGUE = """
sectors:
  - code: TP
    name: Tư pháp
    fields:
      - code: HO_TICH
        name: Hộ tịch
        department: STP
        procedures:
          - {name: Đăng ký khai sinh, level: commune, level_2025: commune, deadline_days: 0, fee: false, online: toan_trinh}
          - {name: Đăng ký kết hôn, level: commune, level_2025: commune, %s fee: true, online: mot_phan}
"""


@pytest.mark.parametrize("fragment, message", [
    ("", r"procedures\[2\]: missing field 'deadline_days'"),
    ("deadline_days: five,", r"procedures\[2\]: field 'deadline_days' must be int, got 'five'"),
    ("deadline_days: -1,", r"procedures\[2\]: deadline_days must be >= 0, got -1"),
])
def test_bad_procedure_entries_name_file_entry_and_field(tmp_path, fragment, message):
    path = _write(tmp_path / "procedure_catalogue.yaml", CATALOGUE % fragment)
    with pytest.raises(ReferenceDataError, match=r"procedure_catalogue.yaml: sectors\[1\].fields\[1\]." + message):
        build_procedure_tables(path, {"STP"})


def test_unknown_online_form_is_refused(tmp_path):
    path = _write(tmp_path / "c.yaml", (CATALOGUE % "deadline_days: 5,").replace("mot_phan", "muc_do_4"))
    with pytest.raises(ReferenceDataError, match=r"field 'online' is 'muc_do_4', expected one of"):
        build_procedure_tables(path, {"STP"})


def test_duplicate_procedure_is_refused(tmp_path):
    text = (CATALOGUE % "deadline_days: 5,").replace("Đăng ký kết hôn", "Đăng ký khai sinh")
    tables = build_procedure_tables(_write(tmp_path / "c.yaml", text), {"STP"})
    procedures = next(t for t in tables if t.name == "procedures")
    with pytest.raises(ReferenceDataError, match=r"procedures: duplicate primary key"):
        procedures.check()


def test_wrong_encoding_names_the_file(tmp_path):
    path = tmp_path / "procedure_catalogue.yaml"
    path.write_bytes((CATALOGUE % "deadline_days: 5,").encode("cp1258", errors="replace"))
    with pytest.raises(ReferenceDataError, match=r"procedure_catalogue.yaml: not valid UTF-8"):
        build_procedure_tables(path, {"STP"})


def _units_of_2025() -> list[dict]:
    """Two communes of one district as the package knows them on 30/06/2025."""
    def unit(code, name):
        return {"unit_key": f"legacy:{code}", "scheme": "legacy", "level": "commune", "code": code, "name": name,
                "short_name": name[3:], "unit_type": "Xã", "parent_unit_key": "legacy:298", "province_code": "30",
                "latitude": 20.8, "longitude": 106.4, "area_km2": None, "valid_from": None, "valid_to": date(2025, 6, 30)}
    return [unit("11098", "Xã Kỳ Sơn"), unit("11113", "Xã Tân Kỳ"),
            {**unit("298", "Huyện Tứ Kỳ"), "level": "district", "unit_type": "Huyện", "parent_unit_key": "legacy:30"}]


RESOLUTION = """
resolutions:
  - number: 1246/NQ-UBTVQH15
    signed: 2024-10-24
    effective: 2024-12-01
    changes:
      - kind: %s
        into: {code: "11098", name: %s}
        from:
          - {code: "11089", name: Xã Ngọc Kỳ}
          - {code: "%s", name: Xã Tái Sơn}
"""


def test_unit_history_dates_the_units_and_keys_the_earlier_holder_of_a_code(tmp_path):
    units = _units_of_2025()
    earlier, lineage = apply_unit_history(_write(tmp_path / "c.yaml", RESOLUTION % ("merge", "Xã Kỳ Sơn", "11098")),
                                          units)
    assert units[0]["valid_from"] == date(2024, 12, 1)
    assert {(u["unit_key"], u["name"], u["valid_to"]) for u in earlier} == {
        ("legacy:11089", "Xã Ngọc Kỳ", date(2024, 11, 30)), ("legacy:11098@2024-11-30", "Xã Tái Sơn", date(2024, 11, 30))}
    assert {(r["predecessor_unit_key"], r["successor_unit_key"], r["legal_basis"]) for r in lineage} == {
        ("legacy:11089", "legacy:11098", "Nghị quyết 1246/NQ-UBTVQH15 ngày 24/10/2024"),
        ("legacy:11098@2024-11-30", "legacy:11098", "Nghị quyết 1246/NQ-UBTVQH15 ngày 24/10/2024")}


@pytest.mark.parametrize("values, message", [
    (("merge", "Xã Kỳ Sơn", "1109x"), r"changes\[1\].from\[2\]: code '1109x' is not a GSO code"),
    (("merge", "Xã Ký Sơn", "11098"), r"changes\[1\].into.name: 'Xã Ký Sơn' but the unit with code 11098 then is 'Xã Kỳ Sơn'"),
    (("split", "Xã Kỳ Sơn", "11098"), r"changes\[1\]: field 'kind' is 'split', expected one of"),
    (("absorb", "Xã Kỳ Sơn", "11098"), r"changes\[1\].from\[2\]: Xã Tái Sơn absorbs itself"),
])
def test_bad_unit_history_names_the_resolution_change_and_field(tmp_path, values, message):
    path = _write(tmp_path / "admin_unit_changes.yaml", RESOLUTION % values)
    with pytest.raises(ReferenceDataError, match=r"admin_unit_changes.yaml: resolutions\[1\] \(1246/NQ-UBTVQH15\)."
                                                 + message):
        apply_unit_history(path, _units_of_2025())


SPLIT = """
resolutions:
  - number: 819/NQ-UBTVQH14
    signed: 2019-11-21
    effective: 2020-01-01
    changes:
      - kind: merge
        into: {code: "11098", name: Xã Kỳ Sơn}
        from:
          - {code: "11089", name: Xã Ngọc Kỳ%s}
      - kind: absorb
        into: {code: "11113", name: Xã Tân Kỳ}
        from:
          - {code: "11089", name: Xã Ngọc Kỳ%s}
"""


def test_a_unit_split_between_successors_is_partial_with_one_default(tmp_path):
    _, lineage = apply_unit_history(_write(tmp_path / "c.yaml", SPLIT % (", partial: true", ", partial: true")),
                                    _units_of_2025())
    assert sorted((r["successor_unit_key"], r["is_partial"], r["is_default_successor"]) for r in lineage) == [
        ("legacy:11098", True, True), ("legacy:11113", True, False)]


def test_a_unit_abolished_twice_without_partial_is_refused(tmp_path):
    with pytest.raises(ReferenceDataError, match=r"changes\[2\].from\[1\]: Xã Ngọc Kỳ \(11089\) is abolished twice"):
        apply_unit_history(_write(tmp_path / "c.yaml", SPLIT % ("", "")), _units_of_2025())
