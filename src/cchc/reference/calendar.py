"""Working-day calendar of the Vietnamese civil service.

Source: the ``holidays`` package (``holidays.country_holidays('VN')``), which computes Tết
and Giỗ Tổ Hùng Vương from the lunar calendar, adds the government's announced bridge days
and the weekend days worked in exchange ("làm bù"). Legal deadlines for dossiers are
counted in working days, so the calendar carries a running working-day number:
``working_day_seq(d2) - working_day_seq(d1)`` is the number of working days after d1 up to
and including d2.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays

from .tables import Column, ReferenceTable, nfc

CALENDAR_START = date(2020, 1, 1)
CALENDAR_END = date(2030, 12, 31)

CALENDAR_COLUMNS = [
    Column("calendar_date", "DATE", "The day"),
    Column("year", "INTEGER", "Calendar year"),
    Column("month", "INTEGER", "Month 1-12"),
    Column("iso_weekday", "INTEGER", "1 = Monday (Thứ hai) ... 7 = Sunday (Chủ nhật)"),
    Column("is_weekend", "BOOLEAN", "Saturday or Sunday"),
    Column("is_public_holiday", "BOOLEAN", "A public holiday or an announced day off in lieu"),
    Column("holiday_name", "VARCHAR", "Holiday name in Vietnamese"),
    Column("holiday_name_en", "VARCHAR", "Holiday name in English"),
    Column("is_tet", "BOOLEAN", "Part of the Lunar New Year (Tết Nguyên Đán) break"),
    Column("is_makeup_workday", "BOOLEAN", "A weekend day worked in exchange for a bridge day (làm bù)"),
    Column("is_working_day", "BOOLEAN", "Civil servants work that day"),
    Column("working_day_seq", "INTEGER", "Working days from the calendar start up to and including this day"),
]


def build_calendar_table(start: date = CALENDAR_START, end: date = CALENDAR_END) -> ReferenceTable:
    years = range(start.year, end.year + 1)
    names_vi = holidays.country_holidays("VN", years=years, language="vi")
    names_en = holidays.country_holidays("VN", years=years, language="en_US")
    rows = []
    seq = 0
    day = start
    while day <= end:
        is_working = names_vi.is_working_day(day)
        seq += is_working
        name_en = names_en.get(day)
        rows.append({
            "calendar_date": day,
            "year": day.year,
            "month": day.month,
            "iso_weekday": day.isoweekday(),
            "is_weekend": day.isoweekday() >= 6,
            "is_public_holiday": day in names_vi,
            "holiday_name": nfc(names_vi.get(day)),
            "holiday_name_en": name_en,
            # The library names every Tết day "... Lunar New Year ..." in English.
            "is_tet": bool(name_en and "Lunar New Year" in name_en),
            "is_makeup_workday": day in names_vi.weekend_workdays,
            "is_working_day": is_working,
            "working_day_seq": seq,
        })
        day += timedelta(days=1)
    return ReferenceTable(
        "calendar_days",
        f"Working-day calendar {start:%d/%m/%Y}-{end:%d/%m/%Y} with Vietnamese public holidays "
        "(holidays package, lunar holidays included).",
        CALENDAR_COLUMNS, ("calendar_date",), rows,
    )
