"""The working-day calendar: Tết from the lunar calendar, public holidays, days worked in lieu."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import scalar

# First day of the Lunar New Year (mùng 1 Tết), from the published lunar calendar.
TET = {2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10),
       2025: date(2025, 1, 29), 2026: date(2026, 2, 17)}
# Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month.
HUNG_KINGS = [date(2022, 4, 10), date(2023, 4, 29), date(2024, 4, 18), date(2025, 4, 7), date(2026, 4, 26)]


def day(sql, d: date) -> dict:
    rows = sql("SELECT * FROM reference.calendar_days WHERE calendar_date = ?", d)
    columns = [c[0] for c in sql("DESCRIBE reference.calendar_days")]
    assert len(rows) == 1, d
    return dict(zip(columns, rows[0]))


@pytest.mark.parametrize("year", sorted(TET))
def test_tet_is_a_holiday_break(sql, year):
    first_day = day(sql, TET[year])
    assert first_day["is_public_holiday"] and first_day["is_tet"] and not first_day["is_working_day"]
    assert first_day["holiday_name"] == "Tết Nguyên Đán"
    # The break runs several days; all of them are Tết holidays in the calendar year.
    length = scalar(sql, "SELECT count(*) FROM reference.calendar_days WHERE is_tet AND year = ?", year)
    assert 5 <= length <= 7


@pytest.mark.parametrize("year", range(2022, 2027))
@pytest.mark.parametrize("month, day_of_month", [(1, 1), (4, 30), (5, 1), (9, 2)])
def test_fixed_public_holidays(sql, year, month, day_of_month):
    assert day(sql, date(year, month, day_of_month))["is_public_holiday"]


@pytest.mark.parametrize("d", HUNG_KINGS)
def test_hung_kings_commemoration(sql, d):
    assert day(sql, d)["is_public_holiday"]


def test_bridge_day_and_weekend_worked_in_lieu_2024(sql):
    assert not day(sql, date(2024, 4, 29))["is_working_day"]  # Monday off ...
    saturday = day(sql, date(2024, 5, 4))  # ... worked on Saturday 4/5/2024 instead
    assert saturday["is_makeup_workday"] and saturday["is_working_day"] and saturday["is_weekend"]


def test_weekends_are_not_working_days_unless_worked_in_lieu(sql):
    assert sql("SELECT calendar_date FROM reference.calendar_days "
               "WHERE is_weekend AND is_working_day AND NOT is_makeup_workday") == []


def test_working_day_sequence_counts_working_days(sql):
    # Tết 2025: the last working day before the break was Friday 24/01, the first after
    # it Monday 03/02; one working day apart.
    seq = dict(sql("SELECT calendar_date, working_day_seq FROM reference.calendar_days "
                   "WHERE calendar_date IN ('2025-01-24', '2025-02-03')"))
    assert seq[date(2025, 2, 3)] - seq[date(2025, 1, 24)] == 1
    steps = sql("""
        SELECT count(*) FROM (
            SELECT working_day_seq - lag(working_day_seq, 1, 0) OVER (ORDER BY calendar_date) AS step,
                   is_working_day FROM reference.calendar_days)
        WHERE step <> CASE WHEN is_working_day THEN 1 ELSE 0 END""")
    assert steps == [(0,)]


def test_calendar_is_gapless(sql):
    first, last, days = sql("SELECT min(calendar_date), max(calendar_date), count(*) FROM reference.calendar_days")[0]
    assert first <= date(2022, 1, 1) and last >= date(2030, 12, 31)
    assert days == (last - first).days + 1
