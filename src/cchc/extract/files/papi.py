"""PAPI provincial scores (agg_province_year.csv, UNDP / CECODES data as curated in
seeds/sources/papi/) -> raw_files.papi_province_year, one row per province and year.

The file uses decimal points (it comes from statistics software, not a Vietnamese
workstation); scores are DOUBLE columns, parsed to the nearest double of the text and
not rounded otherwise. Dimension scores, the number of dimensions, the rank and the tier
must lie within loader_limits.yaml; D7 and D8 are empty before 2018 and stay NULL (never
0); a year after the current one is quarantined. Read as a stream (csvfile).
"""

from __future__ import annotations

import re

from ..raw import ParsedFile, RawColumn, RawTable
from .cells import decimal_point_number, english_whole_number, text
from .csvfile import csv_rows, open_csv
from .parsing import Checks, Column, add_problem, check_range, parse_row, require, withheld_note

FOLDER = "papi"
PATTERN = re.compile(r"agg_province_year\.csv")
EXPECTED_NAME = "agg_province_year.csv"
DIMENSIONS = [f"D{i}" for i in range(1, 9)]

COLUMNS = [
    Column("province_id", "province_id", "INTEGER", english_whole_number,
           "Province index 1-63 of the PAPI data set (not the GSO code)"),
    Column("province_vi", "province_vi", "VARCHAR", text, "Province name (pre-2025 province)"),
    Column("region", "region", "VARCHAR", text, "Socio-economic region"),
    Column("region_id", "region_id", "INTEGER", english_whole_number, "Region index"),
    Column("year", "year", "INTEGER", english_whole_number, "Survey year"),
    *(Column(d.lower(), d, "DOUBLE", decimal_point_number, f"Dimension {d} score, 1-10 (NULL: not measured)")
      for d in DIMENSIONS),
    Column("total_papi", "total_papi", "DOUBLE", decimal_point_number, "Sum of the available dimensions"),
    Column("total_papi_6dim", "total_papi_6dim", "DOUBLE", decimal_point_number, "Sum of D1-D6"),
    Column("total_official", "total_official", "DOUBLE", decimal_point_number,
           "Aggregate printed in the official file (from 2019)"),
    Column("n_dims", "n_dims", "INTEGER", english_whole_number, "Number of dimensions measured"),
    Column("rank_year", "rank_year", "INTEGER", english_whole_number, "Rank among provinces that year, 1 = best"),
    Column("tier", "tier", "VARCHAR", text, "Quartile tier: Cao nhất, TB cao, TB thấp, Thấp nhất"),
]

TABLE = RawTable(
    "papi_province_year", "PAPI provincial scores per province and year (UNDP / CECODES), as published",
    tuple(RawColumn(c.name, c.sql_type, c.description) for c in COLUMNS),
    key=("province_id", "year"), key_label="province_id, year")


def period(match: re.Match) -> None:
    return None  # all years in one file: a future year is checked row by row


def parse(file, match: re.Match, checks: Checks) -> ParsedFile:
    limits = checks.limits
    header, lines = open_csv(file, COLUMNS)

    def parse_line(number: int, cells: list[str]):
        row = parse_row(None, number, cells, header, COLUMNS)
        require(row, header, "province_id", "year", "province_vi")
        if row.values["year"] is not None and row.values["year"] > checks.today.year:
            add_problem(row, header, "year", f"year {row.values['year']} is in the future")
        check_range(row, header, [d.lower() for d in DIMENSIONS], limits.dimension_score, "dimension score")
        check_range(row, header, ["n_dims"], limits.dimension_count, "number of dimensions")
        check_range(row, header, ["rank_year"], limits.national_rank, "rank")
        check_range(row, header, ["tier"], limits.tiers, "tier")
        return row

    return ParsedFile(csv_rows(lines, header, parse_line), withheld_note(file.name, header, COLUMNS))
