"""Building and loading the reference data: drift, bad input, atomic replacement."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import run_cchc

from cchc.reference.departments import build_department_tables
from cchc.reference.procedures import build_procedure_tables
from cchc.reference.tables import ReferenceDataError


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
