"""Administrative units of both eras and their lineage, as loaded into the warehouse."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from conftest import scalar

DEMO_PROVINCE = "42"  # Hà Tĩnh


def count_units(sql, scheme, level, province=None):
    query = "SELECT count(*) FROM reference.admin_units WHERE scheme = ? AND level = ?"
    params = [scheme, level]
    if province:
        query += " AND province_code = ?"
        params.append(province)
    return scalar(sql, query, *params)


def test_published_province_counts(sql):
    assert count_units(sql, "legacy", "province") == 63
    assert count_units(sql, "2025", "province") == 34


def test_published_commune_counts_2025(sql):
    assert count_units(sql, "2025", "commune") == 3321
    by_type = dict(sql("SELECT unit_type, count(*) FROM reference.admin_units "
                       "WHERE scheme = '2025' AND level = 'commune' GROUP BY 1"))
    assert by_type == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}


def test_no_district_level_after_reform(sql):
    assert count_units(sql, "2025", "district") == 0
    assert count_units(sql, "legacy", "district") > 600


def test_ha_tinh_has_69_communes_from_2025(sql):
    assert count_units(sql, "2025", "commune", DEMO_PROVINCE) == 69
    assert scalar(sql, "SELECT name FROM reference.admin_units WHERE unit_key = '2025:42'") == "Tỉnh Hà Tĩnh"


@pytest.mark.parametrize("old, new", [("30", "31"), ("54", "66"), ("49", "48"), ("42", "42")])
def test_province_mergers_from_domain_examples(sql, old, new):
    successors = sql("SELECT successor_unit_key, is_partial FROM reference.admin_unit_lineage "
                     "WHERE predecessor_unit_key = ?", f"legacy:{old}")
    assert successors == [(f"2025:{new}", False)]


def test_ha_tinh_is_its_own_sole_predecessor(sql):
    assert sql("SELECT predecessor_unit_key FROM reference.admin_unit_lineage "
               "WHERE successor_unit_key = '2025:42'") == [("legacy:42",)]


def test_codes_unique_within_scheme_on_any_day(sql):
    # A code can pass from one unit to the next (a merged commune keeps a predecessor's
    # code), never be held by two units on the same day.
    assert sql("SELECT a.unit_key, b.unit_key FROM reference.admin_units a JOIN reference.admin_units b "
               "ON a.scheme = b.scheme AND a.code = b.code AND a.unit_key < b.unit_key "
               "AND coalesce(a.valid_from, DATE '0001-01-01') <= coalesce(b.valid_to, DATE '9999-12-31') "
               "AND coalesce(b.valid_from, DATE '0001-01-01') <= coalesce(a.valid_to, DATE '9999-12-31')") == []
    # ...but reused across schemes, which is why every key carries its scheme.
    assert scalar(sql, "SELECT count(*) FROM reference.admin_units a JOIN reference.admin_units b "
                       "ON a.code = b.code AND a.scheme = 'legacy' AND b.scheme = '2025' "
                       "AND a.level = 'commune' AND b.level = 'commune'") > 1000


def test_validity_dates(sql):
    rows = sql("SELECT scheme, min(valid_from), max(valid_from), min(valid_to), max(valid_to), "
               "count(*) FILTER (WHERE valid_to IS NULL) FROM reference.admin_units GROUP BY 1 ORDER BY 1")
    by_scheme = {r[0]: r[1:] for r in rows}
    # Legacy units end on 30/06/2025, or earlier when a resolution abolished them; those a
    # resolution formed begin on its effective date.
    assert by_scheme["legacy"] == (date(2019, 12, 1), date(2025, 1, 1), date(2019, 11, 30), date(2025, 6, 30), 0)
    assert by_scheme["2025"][:4] == (date(2025, 7, 1), date(2025, 7, 1), None, None)


@pytest.mark.parametrize("day, communes", [(date(2019, 6, 30), 27), (date(2022, 6, 30), 23), (date(2025, 6, 30), 20)])
def test_tu_ky_units_as_on_a_date(sql, day, communes):
    """Tứ Kỳ (Hải Dương): 26 communes and a town before the 2019 round, 23 units in the
    2022 report, 20 on 30/06/2025 (seeds/sources/admin_unit_changes.yaml)."""
    names = [name for (name,) in sql(
        "SELECT name FROM reference.admin_units WHERE parent_unit_key = 'legacy:298' "
        "AND coalesce(valid_from, DATE '0001-01-01') <= ? AND valid_to >= ?", day, day)]
    assert len(names) == communes == len(set(names))
    assert ("Xã Tái Sơn" in names) == (day < date(2024, 12, 1))
    assert ("Xã Ngọc Sơn" in names) == (day < date(2019, 12, 1))


def test_earlier_changes_carry_their_resolution(sql):
    rows = sql("SELECT p.name, s.name, l.effective_date, l.legal_basis FROM reference.admin_unit_lineage l "
               "JOIN reference.admin_units p ON p.unit_key = l.predecessor_unit_key "
               "JOIN reference.admin_units s ON s.unit_key = l.successor_unit_key "
               "WHERE l.predecessor_unit_key IN ('legacy:11089', 'legacy:11098@2024-11-30', 'legacy:448')")
    assert sorted(rows) == [
        ("Huyện Lộc Hà", "Huyện Thạch Hà", date(2025, 1, 1), "Nghị quyết 1283/NQ-UBTVQH15 ngày 14/11/2024"),
        ("Xã Ngọc Kỳ", "Xã Kỳ Sơn", date(2024, 12, 1), "Nghị quyết 1246/NQ-UBTVQH15 ngày 24/10/2024"),
        ("Xã Tái Sơn", "Xã Kỳ Sơn", date(2024, 12, 1), "Nghị quyết 1246/NQ-UBTVQH15 ngày 24/10/2024"),
    ]
    assert sql("SELECT count(*) FROM reference.admin_unit_lineage WHERE legal_basis IS NULL") == [(0,)]


def test_parents_resolve_within_scheme_and_level(sql):
    bad = sql("""
        SELECT u.unit_key, u.level, p.level
        FROM reference.admin_units u LEFT JOIN reference.admin_units p ON p.unit_key = u.parent_unit_key
        WHERE u.level <> 'province' AND (
            p.unit_key IS NULL OR p.scheme <> u.scheme
            OR p.level <> CASE WHEN u.scheme = 'legacy' AND u.level = 'commune' THEN 'district' ELSE 'province' END)
    """)
    assert bad == []


def test_every_legacy_commune_of_demo_province_has_a_successor(sql):
    legacy = count_units(sql, "legacy", "commune", DEMO_PROVINCE)
    assert legacy > 150
    orphans = sql("""
        SELECT u.unit_key, u.name FROM reference.admin_units u
        WHERE u.scheme = 'legacy' AND u.level = 'commune' AND u.province_code = ?
          AND NOT EXISTS (SELECT 1 FROM reference.admin_unit_lineage l WHERE l.predecessor_unit_key = u.unit_key)
    """, DEMO_PROVINCE)
    assert orphans == []


def test_every_legacy_commune_nationally_has_a_successor(sql):
    assert scalar(sql, """
        SELECT count(*) FROM reference.admin_units u
        WHERE u.scheme = 'legacy' AND u.level = 'commune'
          AND u.unit_key NOT IN (SELECT predecessor_unit_key FROM reference.admin_unit_lineage)""") == 0


def test_every_2025_unit_has_a_predecessor(sql):
    orphans = sql("""
        SELECT u.unit_key, u.name FROM reference.admin_units u
        WHERE u.scheme = '2025'
          AND u.unit_key NOT IN (SELECT successor_unit_key FROM reference.admin_unit_lineage)""")
    assert orphans == []


def test_partial_merges_are_flagged_with_one_default_successor(sql):
    rows = sql("""
        SELECT predecessor_unit_key, bool_and(is_partial), bool_or(is_partial), count(*),
               count(*) FILTER (WHERE is_default_successor)
        FROM reference.admin_unit_lineage GROUP BY 1""")
    partial = [r for r in rows if r[2]]
    assert len(partial) > 100  # 'nhập một phần' is common in 2025
    for predecessor, all_partial, _, successors, defaults in rows:
        assert all_partial == (successors > 1), predecessor
        assert defaults == 1, predecessor


def test_commune_lineage_stays_within_the_province_lineage(sql):
    """A legacy commune's successor lies in the successor of the commune's legacy province."""
    assert sql("""
        SELECT l.predecessor_unit_key, l.successor_unit_key
        FROM reference.admin_unit_lineage l
        JOIN reference.admin_units old ON old.unit_key = l.predecessor_unit_key
        JOIN reference.admin_units new ON new.unit_key = l.successor_unit_key
        WHERE old.level <> 'province' AND new.scheme = '2025' AND NOT EXISTS (
            SELECT 1 FROM reference.admin_unit_lineage p
            WHERE p.predecessor_unit_key = 'legacy:' || old.province_code
              AND p.successor_unit_key = '2025:' || new.province_code)
    """) == []


def test_coordinates_inside_vietnam(sql):
    # Mainland and the Hoàng Sa / Trường Sa archipelagos.
    assert sql("SELECT unit_key FROM reference.admin_units WHERE latitude IS NULL OR longitude IS NULL "
               "OR latitude NOT BETWEEN 6 AND 24 OR longitude NOT BETWEEN 102 AND 118") == []


def test_names_are_nfc_normalised(sql):
    names = sql("SELECT name, short_name, unit_type FROM reference.admin_units")
    assert all(unicodedata.is_normalized("NFC", text) for row in names for text in row)
