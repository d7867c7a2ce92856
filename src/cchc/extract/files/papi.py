"""PAPI provincial scores (agg_province_year.csv, UNDP / CECODES data as curated in
seeds/sources/papi/) -> raw_files.papi_province_year, one row per province and year.

The file uses decimal points (it comes from statistics software, not a Vietnamese
workstation). Dimension scores lie between 1 and 10; D7 and D8 are empty before 2018
and stay NULL (never 0).
"""

from __future__ import annotations

import re

from ..raw import ParsedFile, Problem, RawColumn, RawTable
from .parsing import (Column, UnitDirectory, decimal_point_number, english_whole_number, label_of,
                      locate_header, parse_row, read_csv_bytes, require, text, undecodable_rows)

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


def parse(data: bytes, file_name: str, match: re.Match, units: UnitDirectory) -> ParsedFile:
    content = read_csv_bytes(data, file_name)
    header = locate_header([cells for _, cells in content.rows], COLUMNS, file_name)
    parsed = ParsedFile(undecodable_rows(content))
    for number, cells in content.rows[header.data_start:]:
        if not any(c.strip() for c in cells):
            continue
        row = parse_row(None, number, cells, header, COLUMNS)
        require(row, header, "province_id", "year")
        for dimension in DIMENSIONS:
            value = row.values[dimension.lower()]
            if value is not None and not 1 <= value <= 10:
                row.problems.append(Problem(label_of(header, dimension.lower()), value,
                                            f"dimension score {value:g} is outside 1-10"))
        parsed.rows.append(row)
    parsed.rows.sort(key=lambda r: r.row_number)
    return parsed
