"""Render the first page of a generated report (.docx) to a PNG for the docs, offline:
the document's paragraphs and tables are read back with python-docx, laid out as an A4
landscape HTML page and screenshotted by headless Chromium (no LibreOffice here).

    .venv/pipeline/bin/python scripts/report_page_image.py REPORT.docx docs/images/report-page.png [--tables 3]
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.text.paragraph import Paragraph

STYLE = """body{font-family:'Times New Roman',serif;font-size:14px;margin:40px;width:1040px}
p{margin:4px 0;text-align:center} h2{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%} td,th{border:1px solid #000;padding:3px 6px}
th{font-weight:bold;text-align:left} td.n{text-align:right}"""


def page_html(docx: Path, tables: int) -> str:
    document = Document(str(docx))
    parts, shown = [], 0
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, document)
            text = html.escape(paragraph.text)
            if text:
                parts.append(f"<h2>{text}</h2>" if paragraph.style.name.startswith("Heading") else f"<p>{text}</p>")
        elif element.tag.endswith("}tbl"):
            table = next(t for t in document.tables if t._element is element)
            rows = [[cell.text for cell in row.cells] for row in table.rows]
            head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
            body = "".join("<tr>" + "".join(
                f"<td class='{'n' if c[:1].isdigit() else ''}'>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
            shown += 1
            if shown == tables:
                break
    return f"<!doctype html><meta charset='utf-8'><style>{STYLE}</style>{''.join(parts)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docx", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--tables", type=int, default=3)
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        raise SystemExit("no Chromium found")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(page_html(args.docx, args.tables), encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={tmp}/profile", "--window-size=1123,794",
                        f"--screenshot={args.png.resolve()}", page.as_uri()], check=True, capture_output=True, timeout=120)
    print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
