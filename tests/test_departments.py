"""Departments and agencies: a scored peer group with lineage across March 2025."""

from __future__ import annotations

from conftest import scalar


def test_departments_of_both_eras(sql):
    counts = dict(sql("SELECT scheme, count(*) FROM reference.departments GROUP BY 1"))
    assert counts == {"dept_legacy": 20, "dept_2025": 13}
    assert sql("SELECT DISTINCT peer_group FROM reference.departments") == [("department",)]


def test_department_keys_unique_and_scheme_qualified(sql):
    assert scalar(sql, "SELECT count(*) = count(DISTINCT department_key) FROM reference.departments")
    assert scalar(sql, "SELECT bool_and(department_key = scheme || ':' || code) FROM reference.departments")


def test_every_legacy_department_has_a_successor_and_every_new_one_a_predecessor(sql):
    assert sql("""
        SELECT department_key FROM reference.departments d
        WHERE (scheme = 'dept_legacy' AND department_key NOT IN
                  (SELECT predecessor_department_key FROM reference.department_lineage))
           OR (scheme = 'dept_2025' AND department_key NOT IN
                  (SELECT successor_department_key FROM reference.department_lineage))""") == []


def test_split_department_is_partial(sql):
    rows = sql("SELECT successor_department_key, is_partial FROM reference.department_lineage "
               "WHERE predecessor_department_key = 'dept_legacy:SLDTBXH' ORDER BY 1")
    assert [r[0] for r in rows] == ["dept_2025:SGDDT", "dept_2025:SNV", "dept_2025:SYT"]
    assert all(r[1] for r in rows)
    assert sql("SELECT successor_department_key, is_partial FROM reference.department_lineage "
               "WHERE predecessor_department_key = 'dept_legacy:SKHDT'") == [("dept_2025:STC", False)]


def test_names_with_commas_are_whole(sql):
    assert sql("SELECT name FROM reference.departments WHERE department_key = 'dept_2025:SVHTTDL'") == [
        ("Sở Văn hóa, Thể thao và Du lịch",)]
