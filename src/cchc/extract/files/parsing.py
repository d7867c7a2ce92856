"""Reading what provincial offices send: Vietnamese numbers and dates, header rows found by
their labels (two-row headers with merged cells included), CSVs that are not all UTF-8,
and unit codes checked against the reference tables for the date in question.

Two kinds of error: ``TemplateError`` (the file is not the expected template: rejected
whole) and ``ValueError`` from a cell parser (one bad value: its row is quarantined). Both
carry messages in plain words.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable

from ..raw import ParsedRow, Problem

HEADER_SEARCH_ROWS = 40  # title lines above the header are skipped, up to this many rows


class TemplateError(ValueError):
    """The file is not the expected template (missing labels, wrong sheets, not decodable)."""


# ---------------------------------------------------------------- cell values

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalize_label(value: Any) -> str:
    """Labels compare on NFC text, case-folded, whitespace collapsed ('Tỷ lệ giải ngân\\n(%)'),
    without a stray byte-order mark."""
    return " ".join(nfc(str(value)).replace("\ufeff", "").split()).casefold() if value is not None else ""


def text(value: Any) -> str | None:
    """A cell as text: NFC, trimmed; empty -> None; whole floats lose their '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = nfc(str(value)).strip()
    return result or None


_VI_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")   # 1.234.567 / 1.234,5
_VI_PLAIN = re.compile(r"^[+-]?\d+(,\d+)?$")                   # 1234 / 1234,5
_POINT_DECIMAL = re.compile(r"^[+-]?\d+\.\d+$")                # 1234.56 (machine export)
_EN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def number(value: Any) -> float | None:
    """A number in Vietnamese notation ('.' groups thousands, ',' marks decimals), or a
    numeric cell. A lone '.' followed by exactly three digits is a thousands separator
    (1.234 = 1234), as Vietnamese readers take it; other single dots are decimal points
    from machine exports (12.5)."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    raw = text(value)
    if raw is None:
        return None
    compact = raw.replace("\u00a0", "").replace(" ", "")
    if _VI_GROUPED.match(compact) or _VI_PLAIN.match(compact):
        return float(compact.replace(".", "").replace(",", "."))
    if _POINT_DECIMAL.match(compact):
        return float(compact)
    raise ValueError(f"'{raw}' is not a number (Vietnamese notation: 1.234.567,89)")


def decimal_point_number(value: Any) -> float | None:
    """A number written with a decimal point (files produced by statistics software)."""
    raw = text(value)
    if raw is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not _EN_NUMBER.match(raw):
        raise ValueError(f"'{raw}' is not a number")
    return float(raw)


def whole_number(value: Any, parse: Callable[[Any], float | None] = number) -> int | None:
    result = parse(value)
    if result is None:
        return None
    if not float(result).is_integer():
        raise ValueError(f"'{text(value)}' is not a whole number")
    return int(result)


def english_whole_number(value: Any) -> int | None:
    return whole_number(value, decimal_point_number)


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def day_month_year(value: Any) -> date | None:
    """A date cell, or text written dd/mm/yyyy (also with '-' or '.')."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if raw is None:
        return None
    match = _DMY.match(raw)
    if not match:
        raise ValueError(f"'{raw}' is not a date in dd/mm/yyyy form")
    day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{raw}' is not a calendar date (day {day}, month {month}, year {year})") from None


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# ---------------------------------------------------------------- header labels

@dataclass(frozen=True)
class Column:
    """A source column: its English raw-table name, the Vietnamese header label that
    identifies it ('Top / Bottom' under a merged cell; '{year}' stands for any year), the
    warehouse type and the cell parser."""

    name: str
    label: str
    sql_type: str
    parse: Callable[[Any], Any] = text
    description: str = ""
    required: bool = True

    def matches(self, label: str) -> bool:
        return _label_pattern(self.label).match(label) is not None


def _label_pattern(label: str) -> re.Pattern:
    parts = normalize_label(label).split("{year}")
    return re.compile("^" + r"\d{4}".join(re.escape(p) for p in parts) + "$")


@dataclass
class Header:
    row: int                    # index of the (first) header row in the rows given
    depth: int                  # 1 or 2 header rows
    labels: list[str]           # each column's label as found ('Giải ngân / Trong tháng')
    positions: dict[str, int]   # column name -> column index

    @property
    def data_start(self) -> int:
        return self.row + self.depth


def _combined_labels(rows: list[list[Any]], index: int, depth: int) -> list[str]:
    top = rows[index]
    if depth == 1:
        return [text(v) or "" for v in top]
    bottom = rows[index + 1] if index + 1 < len(rows) else []
    labels = []
    for i, value in enumerate(top):
        upper = text(value) or ""
        lower = text(bottom[i]) if i < len(bottom) else None
        # A vertical merge repeats the label (filled in by sheet_rows): one level only.
        labels.append(upper if not lower or lower == upper else f"{upper} / {lower}" if upper else lower)
    return labels


def locate_header(rows: list[list[Any]], columns: Iterable[Column], where: str,
                  extra: Callable[[str], bool] | None = None, extra_name: str = "") -> Header:
    """Find the header among the first rows by its labels: one row, or two rows where a
    merged cell groups the labels under it. ``extra`` accepts further labels (SIPAS
    questions) of which at least one must be present."""
    columns = list(columns)
    best: tuple[int, list[str]] | None = None
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        for depth in (1, 2):
            labels = _combined_labels(rows, index, depth)
            normalized = [normalize_label(label) for label in labels]
            positions: dict[str, int] = {}
            for column in columns:
                found = [i for i, label in enumerate(normalized) if column.matches(label)]
                if len(found) > 1:
                    raise TemplateError(f"{where}: header label '{column.label}' appears {len(found)} times")
                if found:
                    positions[column.name] = found[0]
            missing = [c.label for c in columns if c.required and c.name not in positions]
            if extra is not None and not any(extra(label) for label in labels):
                missing.append(extra_name)
            if not missing:
                return Header(index, depth, labels, positions)
            if best is None or len(missing) < len(best[1]):
                best = (index, missing)
    if best is None:
        raise TemplateError(f"{where}: empty, no header row")
    raise TemplateError(f"{where}: not the expected template, header labels missing: "
                        + ", ".join(f"'{label}'" for label in best[1]))


def parse_row(sheet: str | None, number: int, cells: list[Any], header: Header,
              columns: Iterable[Column]) -> ParsedRow:
    """Typed values of a data row by column name; cells that do not parse become problems."""
    row = ParsedRow(sheet, number, {}, {
        header.labels[i] or f"column {i + 1}": cell for i, cell in enumerate(cells)
        if i < len(header.labels) and (header.labels[i] or cell is not None)})
    for column in columns:
        index = header.positions.get(column.name)
        cell = cells[index] if index is not None and index < len(cells) else None
        try:
            row.values[column.name] = _fits(column.sql_type, column.parse(cell), cell)
        except ValueError as exc:
            row.values[column.name] = None
            row.problems.append(Problem(header.labels[index], cell, str(exc)))
    return row


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_INTEGER_LIMITS = {"TINYINT": 2**7, "SMALLINT": 2**15, "INTEGER": 2**31, "BIGINT": 2**63}


def _fits(sql_type: str, value: Any, cell: Any) -> Any:
    """A number too large for its warehouse column is a bad value, not a failed load."""
    if not isinstance(value, (int, float)):
        return value
    decimal = _DECIMAL.fullmatch(sql_type)
    limit = 10 ** (int(decimal[1]) - int(decimal[2])) if decimal else _INTEGER_LIMITS.get(sql_type)
    if limit is not None and abs(value) >= limit:
        raise ValueError(f"'{text(cell)}' is too large for this column")
    return value


def label_of(header: Header, name: str) -> str:
    return header.labels[header.positions[name]]


def require(row: ParsedRow, header: Header, *names: str) -> None:
    """Empty required cells are problems (unless the cell already failed to parse)."""
    failed = {p.field for p in row.problems}
    for name in names:
        label = label_of(header, name)
        if row.values.get(name) is None and label not in failed:
            row.problems.append(Problem(label, None, f"'{label}' is empty"))


def find_in_rows(rows: list[list[Any]], pattern: re.Pattern) -> re.Match | None:
    """The first cell matching ``pattern`` (title lines above a header)."""
    for row in rows:
        for value in row:
            match = pattern.search(normalize_label(value)) if value is not None else None
            if match:
                return match
    return None


# ---------------------------------------------------------------- workbooks and CSVs

def open_workbook(data: bytes, file_name: str, read_only: bool = False):
    """A workbook from bytes, cached values instead of formulas. Read-only mode is much
    faster but knows no merged cells: use it where the header has none."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), data_only=True, read_only=read_only)
    except Exception as exc:  # BadZipFile, KeyError, InvalidFileException: not a workbook at all
        raise TemplateError(f"{file_name}: not an .xlsx workbook ({type(exc).__name__}: {exc})") from None


def sheet_rows(sheet) -> list[list[Any]]:
    """A worksheet's values, merged ranges filled with their top-left value (so a label
    merged over two rows or columns reads the same in each)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    for merged in getattr(sheet, "merged_cells", None) or ():
        value = rows[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
            for c in range(merged.min_col - 1, merged.max_col):
                if c < len(rows[r]):
                    rows[r][c] = value
    return rows


@dataclass
class CsvContent:
    rows: list[tuple[int, list[str]]]                                   # (row number, cells)
    undecodable: list[tuple[int, int, str]] = field(default_factory=list)  # (row, file offset, text)


def read_csv_bytes(data: bytes, where: str) -> CsvContent:
    """A comma-separated file in UTF-8 (byte-order mark optional). Row numbers count
    lines from 1 (the header). Lines that are not valid UTF-8 come back apart, so their
    rows can be quarantined; if the header itself is not UTF-8 the file is rejected."""
    offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    body = data[offset:]
    try:
        content = body.decode("utf-8")
    except UnicodeDecodeError:
        content = None
    if content is not None:
        reader = csv.reader(io.StringIO(content, newline=""))
        return CsvContent([(number, row) for number, row in enumerate(reader, start=1)])

    result = CsvContent([])
    position = offset
    for number, line in enumerate(body.split(b"\n"), start=1):
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if number == 1:
                raise TemplateError(f"{where}: not valid UTF-8: byte 0x{line[exc.start]:02X} at offset "
                                    f"{position + exc.start} (line 1, the header); save it as UTF-8") from None
            result.undecodable.append((number, position + exc.start, line.decode("utf-8", "replace").rstrip("\r")))
        else:
            if decoded.strip():
                result.rows.append((number, next(csv.reader([decoded.rstrip("\r")]))))
        position += len(line) + 1
    return result


# ---------------------------------------------------------------- unit codes

@dataclass(frozen=True)
class UnitValidity:
    level: str                  # department | district | commune | province
    province_code: str
    valid_from: date | None
    valid_to: date | None


class UnitDirectory:
    """Unit codes of reference.admin_units and reference.departments with their validity,
    to check a code sent by a source for the date it refers to."""

    def __init__(self, units: dict[str, UnitValidity]):
        self.units = units

    @classmethod
    def from_warehouse(cls, con) -> "UnitDirectory":
        try:
            rows = con.execute(
                "SELECT unit_key, level, province_code, valid_from, valid_to FROM reference.admin_units "
                "UNION ALL SELECT department_key, 'department', province_code, valid_from, valid_to "
                "FROM reference.departments").fetchall()
        except Exception as exc:  # duckdb.CatalogException: the schema is not there
            raise RuntimeError("the warehouse has no reference data to check unit codes against; "
                               f"run `cchc reference load` first ({exc})") from None
        return cls({key: UnitValidity(*rest) for key, *rest in rows})

    def level(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.level if unit else None

    def problem(self, code: str, day: date, province: str | None = None) -> str | None:
        """Why ``code`` cannot be used on ``day`` (in ``province``), or None."""
        unit = self.units.get(code)
        if unit is None:
            return f"unit code '{code}' is not in the reference tables"
        if (unit.valid_from and day < unit.valid_from) or (unit.valid_to and day > unit.valid_to):
            since = dmy(unit.valid_from) if unit.valid_from else "..."
            until = dmy(unit.valid_to) if unit.valid_to else "..."
            return f"unit code '{code}' is not valid on {dmy(day)} (valid {since} - {until})"
        if province and unit.province_code != province:
            return f"unit code '{code}' belongs to province {unit.province_code}, not {province}"
        return None


def check_unit(row: ParsedRow, header: Header, name: str, units: UnitDirectory, day: date,
               province: str | None) -> None:
    """A unit code that does not exist, or not on ``day``, or elsewhere, is a problem."""
    code = row.values.get(name)
    reason = units.problem(code, day, province) if code is not None else None
    if reason:
        row.problems.append(Problem(label_of(header, name), code, reason))


def undecodable_rows(content: CsvContent) -> list[ParsedRow]:
    """Lines that are not valid UTF-8, as rows to quarantine."""
    return [ParsedRow(None, number, {}, {"line": line}, [Problem(
        None, line, f"line is not valid UTF-8 (byte offset {offset} in the file); the source must resend it")])
        for number, offset, line in content.undecodable]
