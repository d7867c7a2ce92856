"""Treasury (Kho bạc Nhà nước) monthly reports on public-investment disbursement.

One workbook per province and month, ``treasury/KBNN_<province>_<yyyy>_<mm>.xlsx``, in the
layout of a provincial treasury report: title lines, a two-row header with merged cells,
a grand-total row, one group per investor (chủ đầu tư) with its sub-total, the projects,
and a signature block. Amounts in triệu đồng; most cells numeric, some typed as text in
Vietnamese notation ("1.234,567").

Projects are multi-year with a yearly plan (the full plan and the part assigned by the
Prime Minister). Monthly disbursement starts slowly and surges at the year's end; the
investor's latent quality drives the year-end rate. Investors are departments and legacy
districts until the reorganisations, then the successor departments and 2025 communes
(a district's projects go to the commune where they are built, or to a department).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np

from ..units import DEPARTMENT_REFORM_DATE, REFORM_DATE, SimUnit
from . import FileDropContext, fault_entry, in_text, place_name, unit_label
from .xlsx import (
    AMOUNT_FORMAT,
    BOLD,
    ITALIC,
    PERCENT_FORMAT,
    new_workbook,
    roman,
    set_widths,
    vn_number,
    workbook_bytes,
    write_atomic,
    write_cell,
    write_header_cell,
    write_title,
)

SOURCE = "treasury"
FOLDER = "treasury"
TITLE = "BÁO CÁO TÌNH HÌNH GIẢI NGÂN VỐN ĐẦU TƯ CÔNG"
UNIT_LINE = "Đơn vị tính: triệu đồng"
TOTAL_LABEL = "TỔNG CỘNG"
TEXT_NUMBER_SHARE = 0.05  # rows whose amounts a clerk typed as text


def file_name(province: str, year: int, month: int) -> str:
    return f"KBNN_{province}_{year}_{month:02d}.xlsx"


@dataclass(frozen=True)
class ReportColumn:
    label: str
    group: str | None = None   # label of the merged cell above (two-row header)
    width: float = 14
    number_format: str | None = None

    def full_label(self, year: int) -> str:
        """The label as documented and as the loader reports it: 'Giải ngân / Trong tháng'."""
        label = self.label if self.group is None else f"{self.group} / {self.label}"
        return label.format(year=year)


COLUMNS = {
    "stt": ReportColumn("STT", width=6),
    "project_code": ReportColumn("Mã dự án", width=11),
    "project_name": ReportColumn("Tên dự án", width=48),
    "investor_code": ReportColumn("Mã chủ đầu tư", width=18),
    "investor_name": ReportColumn("Chủ đầu tư", width=30),
    "plan_total": ReportColumn("Tổng số", "Kế hoạch vốn năm {year}", number_format=AMOUNT_FORMAT),
    "plan_pm": ReportColumn("Trong đó: Thủ tướng Chính phủ giao", "Kế hoạch vốn năm {year}",
                            number_format=AMOUNT_FORMAT),
    "disbursed_month": ReportColumn("Trong tháng", "Giải ngân", number_format=AMOUNT_FORMAT),
    "disbursed_ytd": ReportColumn("Lũy kế từ đầu năm", "Giải ngân", number_format=AMOUNT_FORMAT),
    "rate": ReportColumn("Tỷ lệ giải ngân (%)", width=11, number_format=PERCENT_FORMAT),
}
AMOUNT_COLUMNS = ("plan_total", "plan_pm", "disbursed_month", "disbursed_ytd")


@dataclass(frozen=True)
class Layout:
    """Column order and extra title lines: tests render other layouts to check that the
    loader reads by labels, not positions. Grouped columns must stay adjacent."""

    order: tuple[str, ...] = tuple(COLUMNS)
    extra_title_rows: tuple[str, ...] = ()


@dataclass
class Project:
    code: str
    name: str
    owners: list[tuple[date, str]]         # (from, investor unit_key), in date order
    plans: dict[int, tuple[int, int]]      # year -> (full plan, PM-assigned part), in nghìn đồng

    def investor_on(self, day: date) -> str:
        return [key for start, key in self.owners if start <= day][-1]


@dataclass
class ReportRow:
    project: Project
    investor: SimUnit
    plan_total: int        # amounts in nghìn đồng (thousandths of the report's triệu đồng)
    plan_pm: int
    disbursed_month: int
    disbursed_ytd: int
    as_text: bool = False
    overrides: dict[str, object] = field(default_factory=dict)
    fault: dict | None = None
    is_copy: bool = False  # a row sent twice: left out of the sub-totals


@dataclass
class Report:
    province: str
    year: int
    month: int
    rows: list[ReportRow]
    faults: list[dict] = field(default_factory=list)  # file-level entries (rows left out)

    @property
    def name(self) -> str:
        return file_name(self.province, self.year, self.month)

    @property
    def month_end(self) -> date:
        return month_end(self.year, self.month)


def month_end(year: int, month: int) -> date:
    return (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# ---------------------------------------------------------------- projects

# {place}: bare place name, {site}: 'xã Kỳ Lợi', {unit}: the investor as named in a sentence.
DEPARTMENT_PROJECTS = {
    "SXD": ["Cải tạo, nâng cấp đường tỉnh ĐT.{road} đoạn qua {site}",
            "Xây dựng cầu {place} trên đường tỉnh ĐT.{road}"],
    "SGTVT": ["Cải tạo, nâng cấp đường tỉnh ĐT.{road} đoạn qua {site}",
              "Xây dựng cầu {place} trên đường tỉnh ĐT.{road}"],
    "SNNPTNT": ["Sửa chữa, nâng cấp hồ chứa nước {place}", "Kè chống sạt lở bờ sông đoạn qua {site}"],
    "SNNMT": ["Sửa chữa, nâng cấp hồ chứa nước {place}", "Đo đạc, chỉnh lý bản đồ địa chính {site}"],
    "STNMT": ["Đo đạc, chỉnh lý bản đồ địa chính {site}", "Xây dựng cơ sở dữ liệu đất đai {site}"],
    "SYT": ["Cải tạo, mở rộng Trung tâm Y tế khu vực {place}",
            "Mua sắm trang thiết bị y tế tuyến tỉnh giai đoạn {period}"],
    "SGDDT": ["Xây dựng nhà học bộ môn Trường THPT {place}", "Cải tạo, nâng cấp Trường THPT {place}"],
    "SVHTTDL": ["Tu bổ, tôn tạo di tích lịch sử {site}", "Nhà thi đấu đa năng khu vực {place}"],
    "STTTT": ["Nâng cấp Hệ thống thông tin giải quyết thủ tục hành chính tỉnh giai đoạn {period}"],
    "SKHCN": ["Xây dựng Trung tâm dữ liệu tỉnh giai đoạn {period}",
              "Nền tảng chuyển đổi số tỉnh giai đoạn {period}"],
}
OTHER_DEPARTMENT_PROJECTS = ["Cải tạo, nâng cấp trụ sở làm việc {unit}",
                             "Ứng dụng công nghệ thông tin, chuyển đổi số {unit} giai đoạn {period}"]
LOCAL_PROJECTS = ["Đường giao thông nông thôn {site}", "Trường Tiểu học {place}", "Trường Mầm non {place}",
                  "Nhà văn hóa trung tâm {site}", "Kênh mương nội đồng {site}", "Trạm y tế {site}",
                  "Đường trục chính trung tâm {unit}"]
# Departments that take over an abolished district's project when it is not a commune's.
TAKEOVER_DEPARTMENTS = ("SXD", "SNNMT", "SGDDT", "SYT")
# Mean of a project's total investment (triệu đồng) and new projects a year, by investor kind.
INVESTMENT = {"department": (40_000, 0.8), "district": (12_000, 0.7), "commune": (5_000, 0.6)}


def _investor_kind(unit: SimUnit) -> str | None:
    if unit.peer_group == "department" or unit.peer_group == "district":
        return unit.peer_group
    return "commune" if unit.unit_key.startswith("2025:") else None  # legacy communes do not invest


def _new_projects_per_year(unit: SimUnit) -> float:
    kind = _investor_kind(unit)
    if kind == "department":
        return 1.2 + 0.8 * min(unit.size, 3.0)
    return 1.3 if kind == "district" else 0.35


def _project_name(context: FileDropContext, unit: SimUnit, site: SimUnit, start_year: int,
                  rng: np.random.Generator) -> str:
    if unit.peer_group == "department":
        templates = DEPARTMENT_PROJECTS.get(unit.code, OTHER_DEPARTMENT_PROJECTS)
    else:
        templates = LOCAL_PROJECTS
    period = "2021-2025" if start_year <= 2025 else "2026-2030"
    template = templates[int(rng.integers(len(templates)))]
    investor = unit.name if unit.peer_group == "department" else in_text(unit)
    return template.format(place=place_name(site), site=in_text(site), unit=investor,
                           road=int(rng.integers(2, 30)) * 10 + 1, period=period)


def _owners(context: FileDropContext, unit: SimUnit, site: SimUnit,
            rng: np.random.Generator) -> list[tuple[date, str]]:
    """Who invests over time: the successor department from March 2025; for a district's
    project, the 2025 commune where it is built (or a department) from July 2025."""
    owners = [(date.min, unit.unit_key)]
    successor = context.default_successor.get(unit.unit_key)
    if unit.valid_to and unit.valid_to < REFORM_DATE - timedelta(days=1) and successor in context.by_key:
        # abolished by an earlier resolution (a district joined to another): the unit it joined takes over
        owners.append((unit.valid_to + timedelta(days=1), successor))
    if unit.unit_key.startswith("dept_legacy:"):
        choices = context.successors[unit.unit_key]
        owners.append((DEPARTMENT_REFORM_DATE, choices[int(rng.integers(len(choices)))]))
    elif unit.peer_group == "district":
        departments = [key for key in (f"dept_2025:{code}" for code in TAKEOVER_DEPARTMENTS)
                       if key in context.by_key and context.by_key[key].province_code == unit.province_code]
        if departments and rng.random() < 0.3:
            owners.append((REFORM_DATE, departments[int(rng.integers(len(departments)))]))
        else:
            owners.append((REFORM_DATE, context.current_successor(site.unit_key)))
    return owners


def plan_projects(context: FileDropContext, province: str) -> list[Project]:
    """Every project with a plan in the simulated years (some started before them)."""
    config = context.config
    units = [u for u in context.units if u.province_code == province and _investor_kind(u)]
    communes = [u for u in context.units if u.province_code == province and u.unit_key.startswith("legacy:")
                and u.peer_group == "commune"]
    children: dict[str, list[SimUnit]] = {}
    for commune in communes:
        children.setdefault(context.parent.get(commune.unit_key, ""), []).append(commune)
    projects: list[Project] = []
    codes: set[str] = set()
    for start_year in range(config.start.year - 3, config.end.year + 1):
        for unit in units:
            if not unit.active_on(date(start_year, 1, 1)):
                continue
            rng = context.rng(SOURCE, "projects", unit.unit_key, start_year)
            for _ in range(int(rng.poisson(_new_projects_per_year(unit)))):
                kind = _investor_kind(unit)
                # built in a commune that exists when the project starts
                pool = [c for c in children.get(unit.unit_key) or communes if c.active_on(date(start_year, 1, 1))] or communes
                site = unit if kind == "commune" else pool[int(rng.integers(len(pool)))]
                code = f"7{rng.integers(10**6):06d}"
                while code in codes:  # project codes are unique within a province
                    code = f"7{(int(code[1:]) + 1) % 10**6:06d}"
                codes.add(code)
                mean, sigma = INVESTMENT[kind]
                total = mean * rng.lognormal(-sigma ** 2 / 2, sigma)
                duration = int(rng.choice([1, 2, 3, 4], p=[0.25, 0.35, 0.25, 0.15]))
                shares = rng.dirichlet(np.full(duration, 3.0))
                pm_mode = rng.random()
                pm_share = 1.0 if pm_mode < 0.5 else 0.0 if pm_mode > 0.85 else float(rng.uniform(0.5, 0.95))
                plans = {}
                for offset, share in enumerate(shares):
                    full = max(1, round(total * share))  # plans are set in whole triệu đồng
                    plans[start_year + offset] = (full * 1000, round(full * pm_share) * 1000)
                projects.append(Project(code, _project_name(context, unit, site, start_year, rng),
                                        _owners(context, unit, site, rng), plans))
    return projects


def _ytd_shares(context: FileDropContext, project: Project, year: int) -> np.ndarray:
    """Cumulative share of the year's full plan disbursed at the end of each month: a slow
    start, about 75-80% of the year's total by November, then the year-end surge."""
    rng = context.rng(SOURCE, "curve", project.code, year)
    investor = project.investor_on(date(year, 12, 31))
    quality = context.quality_of(investor, year) if investor in context.by_key else 0.0
    rate = float(np.clip(0.9 + 0.08 * quality + rng.normal(0, 0.04), 0.45, 1.0))
    months = np.arange(1, 13)
    curve = 0.85 * (months / 12) ** rng.uniform(1.2, 2.0)
    curve[-1] = 1.0
    return rate * curve


def _report_months(context: FileDropContext) -> list[tuple[int, int]]:
    """Every month from the start's month to the last complete month by the end."""
    config = context.config
    months, year, month = [], config.start.year, config.start.month
    while True:
        if month_end(year, month) > config.end:
            return months
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def plan_reports(context: FileDropContext, province: str) -> list[Report]:
    """The monthly reports of a province, faults included."""
    projects = plan_projects(context, province)
    curves: dict[tuple[str, int], np.ndarray] = {}
    reports = []
    for year, month in _report_months(context):
        report = Report(province, year, month, [])
        rng = context.rng(SOURCE, "text", province, year, month)
        for project in projects:
            if year not in project.plans:
                continue
            if (project.code, year) not in curves:
                curves[(project.code, year)] = _ytd_shares(context, project, year)
            investor = context.by_key.get(project.investor_on(report.month_end))
            if investor is None:
                continue  # its successor belongs to a province merged into one not simulated
            full, pm = project.plans[year]
            shares = curves[(project.code, year)]
            ytd = round(full * shares[month - 1])
            previous = round(full * shares[month - 2]) if month > 1 else 0
            report.rows.append(ReportRow(project, investor, full, pm, ytd - previous, ytd,
                                         as_text=bool(rng.random() < TEXT_NUMBER_SHARE)))
        report.rows.sort(key=lambda r: (not r.investor.unit_key.startswith("dept_"), r.investor.unit_key,
                                        r.project.code))
        if report.rows:  # none once a merged province's projects have all moved on
            reports.append(report)
    _leave_out_months(context, province, reports)
    for report in reports:
        _inject_row_faults(context, report)
    return reports


def _leave_out_months(context: FileDropContext, province: str, reports: list[Report]) -> None:
    count = context.config.faults.missing_disbursement_months
    if not count:
        return
    appearances: dict[str, list[Report]] = {}
    for report in reports:
        for row in report.rows:
            appearances.setdefault(row.project.code, []).append(report)
    candidates = sorted(code for code, seen in appearances.items() if len(seen) >= 2)
    rng = context.rng(SOURCE, "missing", province)
    for index in sorted(rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)):
        code = candidates[index]
        report = appearances[code][int(rng.integers(len(appearances[code])))]
        row = next(r for r in report.rows if r.project.code == code)
        report.rows.remove(row)
        report.faults.append(fault_entry(
            "missing_disbursement_month", SOURCE, f"{FOLDER}/{report.name}", unit_key=row.investor.unit_key,
            detail=f"project {code} left out of the report for {report.month:02d}/{report.year}"))


BROKEN_NUMBERS = ("1.2.3,4", "abc", "12,34,5")


def _inject_row_faults(context: FileDropContext, report: Report) -> None:
    """Malformed rows (unknown or expired investor code, broken number) and rows sent twice."""
    faults = context.config.faults
    if not (faults.malformed_row_rate or faults.duplicate_rate):
        return
    rng = context.rng(SOURCE, "faults", report.province, report.year, report.month)
    file = f"{FOLDER}/{report.name}"
    expired = _expired_codes(context, report)
    rows: list[ReportRow] = []
    for row in report.rows:
        rows.append(row)
        if rng.random() < faults.malformed_row_rate:
            kind = ("unknown_unit", "expired_unit", "broken_number")[int(rng.integers(3))]
            if kind == "broken_number":
                column = AMOUNT_COLUMNS[int(rng.integers(len(AMOUNT_COLUMNS)))]
                value = BROKEN_NUMBERS[int(rng.integers(len(BROKEN_NUMBERS)))]
                detail = f"amount '{value}' is not a number"
            else:
                column = "investor_code"
                value = expired[int(rng.integers(len(expired)))] if kind == "expired_unit" and expired \
                    else "legacy:99999"
                detail = f"investor code '{value}' is unknown or not valid on {report.month_end:%d/%m/%Y}"
            row.overrides[column] = value
            row.fault = fault_entry("malformed_row", SOURCE, file, field=COLUMNS[column].full_label(report.year),
                                    unit_key=row.investor.unit_key, detail=detail)
        elif rng.random() < faults.duplicate_rate:
            rows.append(replace(row, overrides={}, is_copy=True, fault=fault_entry(
                "duplicate_row", SOURCE, file, field=COLUMNS["project_code"].label,
                unit_key=row.investor.unit_key, detail=f"project {row.project.code} sent twice")))
    report.rows = rows


def _expired_codes(context: FileDropContext, report: Report) -> list[str]:
    """Codes of units abolished before the report's date: legacy departments from March
    2025, legacy districts from July 2025."""
    day = report.month_end
    return [u.unit_key for u in context.units if u.province_code == report.province
            and u.valid_to is not None and u.valid_to < day and _investor_kind(u)]


# ---------------------------------------------------------------- rendering

def _amount(value: int, as_text: bool):
    millions = value / 1000  # nghìn đồng -> triệu đồng
    return vn_number(millions, 3) if as_text else millions


def _rate(ytd: int, full: int, as_text: bool):
    if not full:
        return None
    rate = round(100 * ytd / full, 2)
    return vn_number(rate, 2) if as_text else rate


def _values(row: ReportRow, stt: int) -> dict[str, object]:
    values = {
        "stt": stt, "project_code": row.project.code, "project_name": row.project.name,
        "investor_code": row.investor.unit_key, "investor_name": unit_label(row.investor),
        "rate": _rate(row.disbursed_ytd, row.plan_total, row.as_text),
    }
    values.update({c: _amount(getattr(row, c), row.as_text) for c in AMOUNT_COLUMNS})
    values.update(row.overrides)
    return values


def _totals(rows: list[ReportRow]) -> dict[str, object]:
    sums = {c: sum(getattr(r, c) for r in rows) for c in AMOUNT_COLUMNS}
    values: dict[str, object] = {c: _amount(v, False) for c, v in sums.items()}
    values["rate"] = _rate(sums["disbursed_ytd"], sums["plan_total"], False)
    return values


def render_report(report: Report, province_name: str, layout: Layout = Layout()) -> tuple[bytes, list[dict]]:
    """The report as .xlsx bytes, and its fault entries with their row numbers."""
    order = layout.order
    width = len(order)
    position = {key: i + 1 for i, key in enumerate(order)}
    workbook, sheet = new_workbook(f"T{report.month:02d}-{report.year}", f"Kho bạc Nhà nước {province_name}")
    half = width // 2
    write_title(sheet, 1, f"KHO BẠC NHÀ NƯỚC {province_name.upper()}", half)
    write_title(sheet, 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", width - half, column=half + 1)
    write_title(sheet, 2, "Độc lập - Tự do - Hạnh phúc", width - half, column=half + 1)
    row = 4
    for line in (TITLE, f"Tháng {report.month:02d} năm {report.year}", *layout.extra_title_rows):
        write_title(sheet, row, line, width)
        row += 1
    write_title(sheet, row, UNIT_LINE, 3, font=ITALIC, column=width - 2, align="right")
    row += 1

    # Two-row header: grouped columns share a merged cell above their own labels.
    index = 0
    while index < width:
        column = COLUMNS[order[index]]
        if column.group is None:
            write_header_cell(sheet, row, index + 1, column.label, rows=2)
            index += 1
            continue
        span = 1
        while index + span < width and COLUMNS[order[index + span]].group == column.group:
            span += 1
        write_header_cell(sheet, row, index + 1, column.group.format(year=report.year), columns=span)
        for offset in range(span):
            write_header_cell(sheet, row + 1, index + offset + 1, COLUMNS[order[index + offset]].label)
        index += span
    row += 2
    for col in position.values():
        write_cell(sheet, row, col, f"({col})").font = ITALIC
    row += 1
    sheet.freeze_panes = sheet.cell(row=row, column=1)

    def write_values(values: dict[str, object], bold: bool = False) -> None:
        for key, value in values.items():
            write_cell(sheet, row, position[key], value, COLUMNS[key].number_format, bold=bold)
        for key in order:  # borders on empty cells too
            if key not in values:
                write_cell(sheet, row, position[key], None, bold=bold)

    write_values({"project_name": TOTAL_LABEL, **_totals([r for r in report.rows if not r.is_copy])}, bold=True)
    row += 1
    faults: list[dict] = []
    groups: dict[str, list[ReportRow]] = {}
    for r in report.rows:
        groups.setdefault(r.investor.unit_key, []).append(r)
    for number, (investor_key, rows) in enumerate(groups.items(), start=1):
        investor = rows[0].investor
        write_values({"stt": roman(number), "investor_code": investor_key, "investor_name": unit_label(investor),
                      "project_name": unit_label(investor),
                      **_totals([r for r in rows if not r.is_copy])}, bold=True)
        row += 1
        stt = 0
        for r in rows:
            stt += 0 if r.is_copy else 1  # a copy carries its original's number
            write_values(_values(r, stt))
            if r.fault:
                faults.append({**r.fault, "row": row, "sheet": sheet.title})
            row += 1

    signed = report.month_end + timedelta(days=5)
    row += 1
    write_title(sheet, row, f"{province_name}, ngày {signed.day:02d} tháng {signed.month:02d} năm {signed.year}",
                3, font=ITALIC, column=width - 2)
    row += 1
    for column, text in ((1, "NGƯỜI LẬP BIỂU"), (half, "KẾ TOÁN TRƯỞNG"), (width - 2, "GIÁM ĐỐC")):
        write_title(sheet, row, text, 3 if column == width - 2 else 2, font=BOLD, column=column)
    set_widths(sheet, [COLUMNS[key].width for key in order])
    stamp = datetime(signed.year, signed.month, signed.day, 8, 0, 0)
    return workbook_bytes(workbook, stamp), faults + [{**f, "sheet": None} for f in report.faults]


def generate(context: FileDropContext) -> list[dict]:
    manifest: list[dict] = []
    for province in context.config.provinces:
        for report in plan_reports(context, province):
            data, faults = render_report(report, context.province_names[province])
            write_atomic(context.drop_dir / FOLDER / report.name, data)
            manifest.extend(faults)
    return manifest
