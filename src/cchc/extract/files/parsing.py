"""Reading what provincial offices send: header rows found by their labels (two-row
headers with merged cells included), rows parsed into typed values with the personal and
non-template columns withheld, the rows around a table that are not data (totals,
signatures), and unit codes checked against the reference tables for the date in
question.

Two kinds of error: ``TemplateError`` (the file is not the expected template: rejected
whole) and ``ValueError`` from a cell parser (one bad value: its row is quarantined). Both
carry messages in plain words.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..raw import ParsedRow, Problem
from .cells import dmy, normalize_label, number, text, to_scale
from .personal import WITHHELD_PERSONAL, record_labels, redacted_record, withheld_columns

if TYPE_CHECKING:
    from .limits import Limits

HEADER_SEARCH_ROWS = 40  # title lines above the header are skipped, up to this many rows
# An empty numeric cell that the template requires: often a formula whose result Excel did
# not save (files written by other programs), which openpyxl reads as empty.
FORMULA_HINT = "; it may be a formula without a saved value: open the file in Excel, save it and send it again"


class TemplateError(ValueError):
    """The file is not the expected template (missing labels, wrong sheets, not decodable)."""


# ---------------------------------------------------------------- header labels

@dataclass(frozen=True)
class Column:
    """A source column: its English raw-table name, the Vietnamese header label that
    identifies it ('Top / Bottom' under a merged cell; '{year}' stands for any year), the
    warehouse type and the cell parser. A personal column (``personal``) is part of the
    template but its values are never parsed nor stored anywhere."""

    name: str
    label: str
    sql_type: str
    parse: Callable[[Any], Any] = text
    description: str = ""
    required: bool = True
    personal: bool = False
    round_half_up: bool = False  # DECIMAL: round extra decimals half-up instead of quarantining the row

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
    positions: dict[str, int]   # column name -> column index (non-personal template columns)
    keys: list[str]             # each column's key in a row's raw_record
    withheld: dict[int, str]    # column index -> marker, for columns whose values are not kept

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
    questions) of which at least one must be present; their values are kept too."""
    columns = [c for c in columns if not c.personal]
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
            extras = {i for i, label in enumerate(labels) if extra is not None and extra(label)}
            if extra is not None and not extras:
                missing.append(extra_name)
            if not missing:
                kept = set(positions.values()) | extras
                return Header(index, depth, labels, positions, record_labels(labels),
                              withheld_columns(labels, kept))
            if best is None or len(missing) < len(best[1]):
                best = (index, missing)
    if best is None:
        raise TemplateError(f"{where}: empty, no header row")
    raise TemplateError(f"{where}: not the expected template, header labels missing: "
                        + ", ".join(f"'{label}'" for label in best[1]))


def withheld_note(where: str, header: Header, columns: Iterable[Column]) -> list[str]:
    """A note naming the labelled columns whose values are not stored, other than the
    template's own personal columns (labels only: never a value)."""
    personal = [c for c in columns if c.personal]
    named = [f"'{header.labels[i]}'" + (" (personal data)" if marker == WITHHELD_PERSONAL else "")
             for i, marker in header.withheld.items()
             if header.labels[i] and not any(c.matches(normalize_label(header.labels[i])) for c in personal)]
    return [f"{where}: columns not in the template, values not stored: {', '.join(named)}"] if named else []


def cell_of(cells: list[Any], header: Header, name: str) -> Any:
    index = header.positions.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def parse_row(sheet: str | None, number_: int, cells: list[Any], header: Header, columns: Iterable[Column],
              unit: str | None = None) -> ParsedRow:
    """Typed values of a data row by column name; cells that do not parse become problems.
    Personal columns are not read at all; ``unit`` names the column whose text is the
    row's unit code."""
    row = ParsedRow(sheet, number_, {}, redacted_record(header.keys, header.withheld, cells),
                    unit_code=text(cell_of(cells, header, unit)) if unit else None)
    for column in columns:
        if column.personal:
            continue
        cell = cell_of(cells, header, column.name)
        try:
            row.values[column.name] = _fits(column, column.parse(cell), cell)
        except ValueError as exc:
            row.values[column.name] = None
            row.problems.append(Problem(label_of(header, column.name), cell, str(exc)))
    return row


def unrecognised_row(sheet: str | None, number_: int, cells: list[Any], header: Header, reason: str) -> ParsedRow:
    """A row with content that is not a data row: one problem for the whole row."""
    return ParsedRow(sheet, number_, {}, redacted_record(header.keys, header.withheld, cells),
                     [Problem(None, None, reason)])


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_INTEGER_LIMITS = {"TINYINT": 2**7, "SMALLINT": 2**15, "INTEGER": 2**31, "BIGINT": 2**63}


def _fits(column: Column, value: Any, cell: Any) -> Any:
    """A value for its warehouse column: decimals to the column's scale (rounded or a bad
    value, as the column says); a number too large for the column is a bad value, not a
    failed load."""
    if value is None or isinstance(value, (str, date)):
        return value
    decimal = _DECIMAL.fullmatch(column.sql_type)
    if decimal:
        return to_scale(value, int(decimal[1]), int(decimal[2]), column.round_half_up, cell)
    limit = _INTEGER_LIMITS.get(column.sql_type)
    if limit is not None and abs(value) >= limit:
        raise ValueError(f"'{text(cell)}' is too large for this column")
    return value


def label_of(header: Header, name: str) -> str:
    return header.labels[header.positions[name]]


def add_problem(row: ParsedRow, header: Header, name: str, reason: str) -> None:
    """A problem with a (non-personal) column's value."""
    row.problems.append(Problem(label_of(header, name), row.values.get(name), reason))


def require(row: ParsedRow, header: Header, *names: str, hint: str = "") -> None:
    """Empty required cells are problems (unless the cell already failed to parse)."""
    failed = {p.field for p in row.problems}
    for name in names:
        label = label_of(header, name)
        if row.values.get(name) is None and label not in failed:
            row.problems.append(Problem(label, None, f"'{label}' is empty{hint}"))


def check_range(row: ParsedRow, header: Header, names: Iterable[str], allowed, what: str) -> None:
    """Values outside ``allowed`` (a limits.Range, or a tuple of accepted texts) are problems."""
    for name in names:
        value = row.values.get(name)
        if value is None or value in allowed:
            continue
        if isinstance(allowed, tuple):
            add_problem(row, header, name, f"{what} '{value}' is not one of: {', '.join(allowed)}")
        else:
            add_problem(row, header, name, f"{what} {value:g} is outside {allowed}")


def find_in_rows(rows: list[list[Any]], pattern: re.Pattern) -> re.Match | None:
    """The first cell matching ``pattern`` (title lines above a header)."""
    for row in rows:
        for value in row:
            match = pattern.search(normalize_label(value)) if value is not None else None
            if match:
                return match
    return None


# ---------------------------------------------------------------- rows that are not data

_SIGNATURE_DATE = re.compile(r"\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}")
_SIGNATURE_TITLES = ("người lập biểu", "người lập", "kế toán trưởng", "giám đốc", "phó giám đốc", "kt. giám đốc",
                     "thủ trưởng đơn vị", "tm.", "kt.", "chủ tịch", "phó chủ tịch", "(ký", "ký tên", "đã ký")
_TOTALS = ("tổng cộng", "tổng số", "tổng", "cộng", "tổng điểm")
_TOTAL_PREFIXES = ("tổng cộng ", "tổng cộng:", "cộng:", "cộng nhóm", "cộng khối", "tổng điểm ")
_ROMAN = re.compile(r"^[IVXLCDM]+$")
_COLUMN_NUMBER = re.compile(r"^\(\d+\)$")


def is_blank(cells: list[Any]) -> bool:
    return all(text(c) is None for c in cells)


def is_signature_line(cells: list[Any]) -> bool:
    """A row of the signature block below a table: the place-and-date line ('Hà Tĩnh, ngày
    05 tháng 04 năm 2024') or signers' titles ('NGƯỜI LẬP BIỂU', 'TM. HỘI ĐỒNG THẨM
    ĐỊNH'), every filled cell of it (merged cells repeat the text)."""
    filled = [normalize_label(c) for c in cells if text(c) is not None]
    return bool(filled) and all(_SIGNATURE_DATE.search(c) or c.startswith(_SIGNATURE_TITLES) for c in filled)


def has_number(cells: list[Any]) -> bool:
    """Any cell holding a number (a numeric cell, or text that reads as one)."""
    for cell in cells:
        try:
            if number(cell) is not None:
                return True
        except ValueError:
            pass
    return False


def is_total_label(value: Any) -> bool:
    """A grand-total or sub-total label ('TỔNG CỘNG', 'Cộng', 'Tổng số', 'Cộng nhóm I:'),
    not a name that merely starts like one ('Cộng đồng ...', 'Tổng hợp ...')."""
    label = normalize_label(value) if text(value) else ""
    return label in _TOTALS or label.startswith(_TOTAL_PREFIXES)


def is_roman(value: Any) -> bool:
    return _ROMAN.match(text(value) or "") is not None


def is_column_numbers(cells: list[Any]) -> bool:
    """The row under a header that numbers the columns: '(1)', '(2)', ..."""
    filled = [text(c) for c in cells if text(c) is not None]
    return bool(filled) and all(_COLUMN_NUMBER.match(c) for c in filled)


# ---------------------------------------------------------------- workbooks

def open_workbook(data: bytes, file_name: str, read_only: bool = False):
    """A workbook from bytes, cached values instead of formulas. Read-only mode is much
    faster but knows no merged cells: use it where the header has none."""
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), data_only=True, read_only=read_only)
    except Exception as exc:  # BadZipFile, KeyError, InvalidFileException: not a workbook at all
        raise TemplateError(f"{file_name}: not an .xlsx workbook ({type(exc).__name__})") from None


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


# ---------------------------------------------------------------- unit codes

@dataclass(frozen=True)
class UnitValidity:
    level: str                  # department | district | commune | province
    province_code: str
    valid_from: date | None
    valid_to: date | None

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_to is None or day <= self.valid_to)


class UnitDirectory:
    """Unit codes of reference.admin_units and reference.departments with their validity,
    to check a code sent by a source for the date it refers to. A code sources send
    ('<scheme>:<code>') may have had several holders over time (a merged commune keeps one
    predecessor's code, cchc.reference.unit_history): it is valid on the days one of them
    held it."""

    def __init__(self, units: dict[str, list[UnitValidity]]):
        self.units = units

    @classmethod
    def from_warehouse(cls, con) -> UnitDirectory:
        try:
            rows = con.execute(
                "SELECT scheme || ':' || code, level, province_code, valid_from, valid_to FROM reference.admin_units "
                "UNION ALL SELECT department_key, 'department', province_code, valid_from, valid_to "
                "FROM reference.departments").fetchall()
        except Exception as exc:  # duckdb.CatalogException: the schema is not there
            raise RuntimeError("the warehouse has no reference data to check unit codes against; "
                               f"run `cchc reference load` first ({exc})") from None
        units: dict[str, list[UnitValidity]] = {}
        for key, *rest in rows:
            units.setdefault(key, []).append(UnitValidity(*rest))
        return cls(units)

    def holder(self, code: str, day: date) -> UnitValidity | None:
        """The unit that held ``code`` on ``day``, or None."""
        return next((u for u in self.units.get(code, ()) if u.active_on(day)), None)

    def level(self, code: str) -> str | None:
        holders = self.units.get(code)
        return holders[0].level if holders else None

    def levels(self, province: str, day: date) -> set[str]:
        """The levels (department, district, commune, ...) with units of ``province`` on ``day``."""
        return {u.level for holders in self.units.values() for u in holders
                if u.province_code == province and u.active_on(day)}

    def problem(self, code: str, day: date, province: str | None = None) -> str | None:
        """Why ``code`` cannot be used on ``day`` (in ``province``), or None."""
        holders = self.units.get(code)
        if not holders:
            return f"unit code '{code}' is not in the reference tables"
        unit = self.holder(code, day)
        if unit is None:
            valid = ", ".join(f"{dmy(u.valid_from) if u.valid_from else '...'} - "
                              f"{dmy(u.valid_to) if u.valid_to else '...'}" for u in holders)
            return f"unit code '{code}' is not valid on {dmy(day)} (valid {valid})"
        if province and unit.province_code != province:
            return f"unit code '{code}' belongs to province {unit.province_code}, not {province}"
        return None


def check_unit(row: ParsedRow, header: Header, name: str, units: UnitDirectory, day: date,
               province: str | None) -> None:
    """A unit code that does not exist, or not on ``day``, or elsewhere, is a problem."""
    code = row.values.get(name)
    reason = units.problem(code, day, province) if code is not None else None
    if reason:
        add_problem(row, header, name, reason)


@dataclass(frozen=True)
class Checks:
    """What a parser checks rows against: unit codes, the limits file, and today (local)."""

    units: UnitDirectory
    limits: Limits
    today: date


def after_today(year: int, month: int | None, today: date) -> bool:
    """A period (a year, or a month of a year) that has not begun."""
    return (year, month or 1) > (today.year, today.month if month else 1)


def period_text(year: int, month: int | None) -> str:
    return f"{month:02d}/{year}" if month else str(year)

