"""Reading the report's tables from the serving snapshot and writing them as .docx / .xlsx."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from ..settings import TIME_ZONE
from .period import Period

SCHEMA = "report"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = "text"  # text | count | pct (2 decimals, half up) | amount (million VND, 3 decimals)


@dataclass(frozen=True)
class Section:
    title: str
    table: str  # rpt_report_* model
    columns: tuple[Column, ...]
    order: str
    empty: str  # Vietnamese note when the period has no rows
    period_filter: str = "period"  # period: period_type + period_start; year: score_year


SCOPE = Column("Cấp", "scope_name")
SECTIONS = (
    Section("1. Tiếp nhận hồ sơ thủ tục hành chính theo cấp", "rpt_report_dossier_levels",
            (SCOPE, Column("Tiếp nhận", "received_total", "count"), Column("Trực tuyến", "received_online", "count"),
             Column("Tỷ lệ trực tuyến (%)", "online_share", "pct")),
            "scope_order", "Không có hồ sơ trong kỳ."),
    Section("2. Hồ sơ theo lĩnh vực và cấp", "rpt_report_dossier_sectors",
            (SCOPE, Column("Lĩnh vực", "sector_name"), Column("Tiếp nhận", "received_total", "count"),
             Column("Trực tuyến", "received_online", "count"), Column("Tỷ lệ trực tuyến (%)", "online_share", "pct")),
            "unit_scope = 'all', unit_scope DESC, received_total DESC, sector_code", "Không có hồ sơ trong kỳ."),
    Section("3. Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính", "rpt_report_dossier_levels",
            (SCOPE, Column("Hồ sơ tiếp nhận", "digitisation_tracked_received", "count"),
             Column("Số hóa đầu vào", "input_digitised", "count"),
             Column("Tỷ lệ số hóa đầu vào (%)", "input_digitisation_rate", "pct"),
             Column("Hồ sơ đã giải quyết", "digitisation_tracked_finished", "count"),
             Column("Số hóa đầu ra", "output_digitised", "count"),
             Column("Tỷ lệ số hóa đầu ra (%)", "output_digitisation_rate", "pct")),
            "scope_order", "Không có hồ sơ trong kỳ."),
    Section("4. Giải ngân vốn đầu tư công (lũy kế từ đầu năm)", "rpt_report_disbursement",
            (Column("Chủ đầu tư", "unit_name"), Column("Kế hoạch vốn (triệu đồng)", "plan_total_mvnd", "amount"),
             Column("Đã giải ngân (triệu đồng)", "disbursed_ytd_mvnd", "amount"),
             Column("Tỷ lệ giải ngân (%)", "disbursement_rate_pct", "pct"), Column("Số liệu đến tháng", "as_of_month")),
            "is_total, disbursement_rate_pct, row_key", "Chưa có báo cáo giải ngân của các chủ đầu tư thuộc địa bàn trong kỳ."),
    Section("5. Chỉ số CCHC (PAR INDEX) và xếp loại", "rpt_report_par",
            (Column("Đơn vị", "unit_name"), SCOPE, Column("Chỉ số CCHC (%)", "index_pct", "pct"),
             Column("Xếp loại", "classification_name"), Column("Lĩnh vực thấp nhất", "weakest_field_name"),
             Column("Điểm lĩnh vực thấp nhất (%)", "weakest_field_pct", "pct"),
             Column("Lý do hạ loại", "downgrade_reason")),
            "unit_scope <> 'own', class_rank, index_pct DESC, unit_key",
            "Chưa có kết quả Chỉ số CCHC của năm (công bố vào năm sau).", "year"),
    Section("6. Xếp hạng các đơn vị và thay đổi thứ bậc", "rpt_report_rankings",
            (Column("Chỉ số", "indicator_name"), Column("Nhóm đơn vị", "peer_group"), Column("Đơn vị", "unit_name"),
             Column("Giá trị", "indicator_value", "pct"), Column("Thứ hạng", "rank_label"),
             Column("Thay đổi", "rank_change_label")),
            "indicator_code, peer_group_code, list_position, unit_key", "Chưa có kết quả xếp hạng của kỳ."),
)


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    xlsx: Path
    area_name: str
    rows: dict[str, int]  # section title → rows


def nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text))


def shown(value: object, kind: str) -> str:
    """A value as the report prints it: Vietnamese separators (1.234,56), rates rounded half
    up to two decimals as the dashboards show them, '' for a missing value."""
    if value is None or value != value:  # None or NaN
        return ""
    if kind == "text":
        return nfc(value)
    number = rounded(value, kind)
    places = {"count": 0, "pct": 2, "amount": 3}[kind]
    return f"{number:,.{places}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def rounded(value: object, kind: str) -> Decimal:
    exponent = {"count": Decimal("1"), "pct": Decimal("0.01"), "amount": Decimal("0.001")}[kind]
    return Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP)


def default_area(con) -> str:
    return con.execute("SELECT * FROM marts.dim_province").fetchdf()["unit_key"].iloc[0]


def read_section(con, section: Section, area: str, period: Period) -> list[dict]:
    if section.period_filter == "year":
        where, params = "score_year = ?", [period.start.year]
    else:
        where, params = "period_type = ? AND period_start = ?", [period.period_type, period.start]
    frame = con.execute(f"SELECT * FROM {SCHEMA}.{section.table} WHERE area_unit_key = ? AND {where} "
                        f"ORDER BY {section.order}", [area, *params]).fetchdf()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def area_name(con, area: str) -> str | None:
    frame = con.execute("SELECT * FROM marts.dim_unit WHERE unit_key = ?", [area]).fetchdf()
    return None if frame.empty else nfc(frame["unit_name"].iloc[0])


def write_report(serving_path: Path, period: Period, out_dir: Path, area: str | None = None) -> ReportFiles:
    if not serving_path.exists():
        raise FileNotFoundError(f"no serving snapshot at {serving_path}: run `cchc build` and `cchc publish` first")
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        snapshot = serving_path.resolve().name
        area = area or default_area(con)
        name = area_name(con, area)
        if name is None:
            raise ValueError(f"--area {area!r}: no such unit in the serving snapshot")
        tables = [(section, read_section(con, section, area, period)) for section in SECTIONS]
    finally:
        con.close()
    from .render import write_docx, write_xlsx

    now = datetime.now(ZoneInfo(TIME_ZONE))
    heading = (nfc(f"BÁO CÁO KẾT QUẢ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH {period.label_vi.upper()}"),
               nfc(f"Địa bàn: {name} — kỳ báo cáo từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y}"),
               nfc(f"Số liệu: bản phát hành {snapshot}; lập ngày {now:%d/%m/%Y}. Tỷ lệ làm tròn 2 chữ số thập phân."))
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bao-cao-cchc-{period.text}-{area.replace(':', '-')}"
    docx = write_docx(out_dir / f"{stem}.docx", heading, tables)
    xlsx = write_xlsx(out_dir / f"{stem}.xlsx", heading, tables)
    return ReportFiles(docx, xlsx, name, {section.title: len(rows) for section, rows in tables})
