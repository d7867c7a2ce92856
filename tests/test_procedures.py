"""The procedure catalogue (TTHC)."""

from __future__ import annotations

import pytest
from conftest import scalar


def test_catalogue_has_hundreds_of_procedures(sql):
    assert 400 <= scalar(sql, "SELECT count(*) FROM reference.procedures") <= 600


def test_no_duplicate_codes(sql):
    assert sql("SELECT procedure_code FROM reference.procedures GROUP BY 1 HAVING count(*) > 1") == []


def test_every_procedure_has_a_known_field_and_a_deadline(sql):
    assert sql("""
        SELECT p.procedure_code FROM reference.procedures p
        LEFT JOIN reference.procedure_fields f USING (field_code)
        WHERE f.field_code IS NULL OR p.deadline_working_days IS NULL OR p.deadline_working_days < 0""") == []


def test_every_field_is_managed_by_a_current_department(sql):
    assert sql("""
        SELECT f.field_code FROM reference.procedure_fields f
        LEFT JOIN reference.departments d ON d.department_key = f.department_key AND d.scheme = 'dept_2025'
        WHERE d.department_key IS NULL""") == []


def test_level_mix_is_realistic(sql):
    share = dict(sql("SELECT level, count(*) / sum(count(*)) OVER () FROM reference.procedures GROUP BY 1"))
    assert set(share) == {"province", "district", "commune"}
    assert share["province"] > share["district"] > 0.1
    assert share["commune"] > 0.08
    # No district level after 1 July 2025.
    assert sql("SELECT DISTINCT level_2025 FROM reference.procedures ORDER BY 1") == [("commune",), ("province",)]


def test_online_forms_and_fees_are_mixed(sql):
    forms = dict(sql("SELECT online_form, count(*) / sum(count(*)) OVER () FROM reference.procedures GROUP BY 1"))
    assert set(forms) == {"toan_trinh", "mot_phan", "none"}
    assert all(share > 0.05 for share in forms.values())
    fee_share = scalar(sql, "SELECT avg(is_fee_bearing::INT) FROM reference.procedures")
    assert 0.2 < fee_share < 0.8


@pytest.mark.parametrize("level", ["province", "district", "commune"])
def test_land_procedures_exist_at_every_level(sql, level):
    assert scalar(sql, "SELECT count(*) FROM reference.procedures p JOIN reference.procedure_fields f "
                       "USING (field_code) WHERE f.field_name = 'Đất đai' AND p.level = ?", level) >= 3


def test_report_sectors_of_a_district_exist(sql):
    """The sectors a district report groups dossiers by (Tứ Kỳ 2022) are in the catalogue."""
    sectors = {r[0] for r in sql("SELECT DISTINCT f.sector_code FROM reference.procedure_fields f "
                                 "JOIN reference.procedures p USING (field_code) WHERE p.level = 'district'")}
    assert len(sectors) >= 7
