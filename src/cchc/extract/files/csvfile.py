"""Comma-separated exports read as a stream: one line at a time, so a file of any length
is parsed in bounded memory. UTF-8 (byte-order mark optional); fields are quoted when they
contain a comma and never span lines (the documented layout). Row numbers count lines
from 1 (the header).

A line that is not valid UTF-8, or whose number of cells differs from the header's (an
unquoted comma in a name shifts every later cell: parsing it field by field would report
personal values as dates or unit codes), becomes one quarantined row without its cells.
A file whose first line (the header) is not UTF-8 is rejected.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice

from ..raw import ParsedRow, Problem
from .parsing import HEADER_SEARCH_ROWS, Column, Header, TemplateError, locate_header

BOM = b"\xef\xbb\xbf"


@dataclass
class CsvLine:
    number: int                 # 1-based line number
    cells: list[str] | None     # None: the line is not valid UTF-8
    bad_offset: int | None = None  # byte offset in the file of the first byte that does not decode


def csv_lines(lines: Iterable[bytes], where: str) -> Iterator[CsvLine]:
    """The non-blank lines of a CSV file, split into cells (blank lines are not rows)."""
    offset = 0
    for number, raw in enumerate(lines, start=1):
        start = len(BOM) if number == 1 and raw.startswith(BOM) else 0
        body = raw[start:].rstrip(b"\r\n")
        try:
            decoded = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if number == 1:
                raise TemplateError(f"{where}: not valid UTF-8: byte 0x{body[exc.start]:02X} at offset "
                                    f"{offset + start + exc.start} (line 1, the header); save it as UTF-8") from None
            yield CsvLine(number, None, offset + start + exc.start)
        else:
            if decoded.strip():
                yield CsvLine(number, next(csv.reader([decoded])))
        offset += len(raw)


def open_csv(file, columns: Iterable[Column], extra: Callable[[str], bool] | None = None,
             extra_name: str = "") -> tuple[Header, Iterator[CsvLine]]:
    """The header (found by its labels among the first lines) and the lines after it,
    still to be read. ``file`` is a registry.SourceFile."""
    lines = csv_lines(file.lines(), file.name)
    head = list(islice(lines, HEADER_SEARCH_ROWS))
    header = locate_header([line.cells or [] for line in head], columns, file.name, extra, extra_name)
    return header, chain(head[header.data_start:], lines)


def csv_rows(lines: Iterable[CsvLine], header: Header, parse: Callable[[int, list[str]], ParsedRow]
             ) -> Iterator[ParsedRow]:
    """Parsed rows of the lines after the header: ``parse(number, cells)`` for a line that
    splits into as many cells as the header has; one quarantined row for any other."""
    width = len(header.labels)
    for line in lines:
        if line.cells is None:
            yield whole_row_problem(line.number, f"line is not valid UTF-8 (byte offset {line.bad_offset} in the "
                                                 "file); the source must resend it")
        elif len(line.cells) != width:
            yield whole_row_problem(line.number, cell_count_reason(len(line.cells), width))
        else:
            yield parse(line.number, line.cells)


def cell_count_reason(cells: int, width: int) -> str:
    return (f"row has {cells} cells and the header {width} (likely an unquoted comma in a value); "
            "the source must resend it")


def whole_row_problem(number: int, reason: str) -> ParsedRow:
    """A row that could not be read: no field, no value, no record."""
    return ParsedRow(None, number, {}, None, [Problem(None, None, reason)])
