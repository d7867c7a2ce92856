"""The report's two files: a Word document (python-docx) and an Excel workbook (openpyxl),
one table per section, the same headers and values."""

from __future__ import annotations

from pathlib import Path

from .build import Section, rounded, shown

EXCEL_FORMATS = {"count": "#,##0", "pct": "0.00", "amount": "#,##0.000"}


def write_docx(path: Path, heading: tuple[str, ...], tables: list[tuple[Section, list[dict]]]) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21.0)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, margin, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(11)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(heading[0]).bold = True
    for line in heading[1:]:
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for section, rows in tables:
        document.add_heading(section.title, level=2)
        if not rows:
            document.add_paragraph(section.empty).runs[0].italic = True
            continue
        table = document.add_table(rows=1, cols=len(section.columns))
        table.style = "Table Grid"
        for cell, column in zip(table.rows[0].cells, section.columns):
            cell.paragraphs[0].add_run(column.header).bold = True
        for row in rows:
            cells = table.add_row().cells
            for cell, column in zip(cells, section.columns):
                cell.text = shown(row[column.field], column.kind)
                if column.kind != "text":
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.save(path)
    return path


def write_xlsx(path: Path, heading: tuple[str, ...], tables: list[tuple[Section, list[dict]]]) -> Path:
    """One sheet per section. Numbers are numbers (rates already rounded half up to two
    decimals, as shown), formatted with Excel's separators, which a Vietnamese locale shows
    as 1.234,56."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for number, (section, rows) in enumerate(tables, start=1):
        sheet = workbook.create_sheet(f"{number}. {section.table.removeprefix('rpt_report_')}"[:31])
        for line in (*heading, section.title):
            sheet.append([line])
        sheet.cell(row=len(heading) + 1, column=1).font = Font(bold=True)
        sheet.append([column.header for column in section.columns])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        if not rows:
            sheet.append([section.empty])
        for row in rows:
            sheet.append([_excel_value(row[column.field], column.kind) for column in section.columns])
            for cell, column in zip(sheet[sheet.max_row], section.columns):
                if column.kind in EXCEL_FORMATS:
                    cell.number_format = EXCEL_FORMATS[column.kind]
        for index, column in enumerate(section.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(column.header) + 4))
    workbook.save(path)
    return path


def _excel_value(value: object, kind: str) -> object:
    if value is None or value != value:
        return None
    if kind == "text":
        return shown(value, kind)
    number = rounded(value, kind)
    return int(number) if kind == "count" else float(number)
