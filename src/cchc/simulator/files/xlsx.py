"""Deterministic file writing: the same workbook content gives the same bytes.

openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry, so two runs
of the simulator would differ in those bytes alone. ``workbook_bytes`` rewrites the
package with a fixed document time, fixed entry timestamps and a fixed entry order.
Files are written through a temporary name and renamed, so a loader watching the drop
folder never sees half a file.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from copy import copy
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(name="Times New Roman", bold=True, size=12)
NORMAL = Font(name="Times New Roman", size=12)
ITALIC = Font(name="Times New Roman", italic=True, size=12)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

# Vietnamese display formats (Excel shows them with the workstation's separators: 1.234,567).
AMOUNT_FORMAT = "#,##0.000"
WHOLE_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00"
POINTS_FORMAT = "0.00"

_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def new_workbook(title: str, creator: str) -> tuple[Workbook, object]:
    """A workbook with one sheet named ``title`` and a fixed author."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    workbook.properties.creator = creator
    workbook.properties.lastModifiedBy = creator
    return workbook, sheet


def write_title(sheet, row: int, text: str, width: int, font: Font = BOLD, column: int = 1,
                align: str = "center") -> None:
    """A title line merged across ``width`` columns starting at ``column``."""
    cell = sheet.cell(row=row, column=column, value=text)
    cell.font = font
    cell.alignment = Alignment(horizontal=align, vertical="center")
    if width > 1:
        sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + width - 1)


def write_header_cell(sheet, row: int, column: int, text: str, rows: int = 1, columns: int = 1) -> None:
    """A bordered, bold header cell, merged over ``rows`` x ``columns`` cells."""
    for r in range(row, row + rows):
        for c in range(column, column + columns):
            sheet.cell(row=r, column=c).border = BOX
    cell = sheet.cell(row=row, column=column, value=text)
    cell.font = BOLD
    cell.alignment = CENTER
    if rows > 1 or columns > 1:
        sheet.merge_cells(start_row=row, start_column=column, end_row=row + rows - 1,
                          end_column=column + columns - 1)


def write_cell(sheet, row: int, column: int, value, number_format: str | None = None, bold: bool = False):
    """A bordered body cell; numbers get ``number_format``."""
    cell = sheet.cell(row=row, column=column, value=value)
    number_format = number_format if isinstance(value, (int, float)) else None
    # Setting font and border on every cell makes openpyxl look each style up again
    # (most of the writing time); copy the style of the first cell styled this way instead.
    cache = sheet.parent.__dict__.setdefault("_cchc_cell_styles", {})
    key = (bold, number_format)
    if key in cache:
        cell._style = copy(cache[key])
    else:
        cell.border = BOX
        cell.font = BOLD if bold else NORMAL
        if number_format:
            cell.number_format = number_format
        cache[key] = copy(cell._style)
    return cell


def set_widths(sheet, widths: list[float]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def workbook_bytes(workbook: Workbook, timestamp: datetime) -> bytes:
    """The workbook as .xlsx bytes that depend only on its content and ``timestamp``."""
    workbook.properties.created = timestamp
    workbook.properties.modified = timestamp
    raw = io.BytesIO()
    workbook.save(raw)
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
        # [Content_Types].xml first, as Office writes it; the rest in name order.
        names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        for name in names:
            data = source.read(name)
            if name == "docProps/core.xml":
                # openpyxl sets 'modified' to the save time whatever we asked for.
                data = _CORE_TIMES.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            info = zipfile.ZipInfo(name, date_time=timestamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    return out.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def vn_number(value: float, decimals: int) -> str:
    """A number in Vietnamese notation, as clerks type it into a text cell: 1.234.567,891."""
    text = f"{abs(value):,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("-" if value < 0 else "") + text


def roman(number: int) -> str:
    """Group numbering in Vietnamese reports: I, II, III, IV, ..."""
    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        out.append(numeral * count)
    return "".join(out)
