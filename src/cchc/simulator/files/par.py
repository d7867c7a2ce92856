"""PAR INDEX appraisal workbooks (kết quả thẩm định Chỉ số cải cách hành chính).

One workbook per province and year, ``par/PAR_<province>_<yyyy>.xlsx``, one sheet per peer
group ("Sở, ban, ngành", "UBND cấp huyện" until 2024, "UBND cấp xã"): title lines, a
one-row header, then one row per unit and criterion with the maximum points, the unit's
self-assessment and the appraisal council's score.

The criteria and points come from seeds/sources/par_methodology.yaml (a demo methodology).
Appraised scores follow the unit's latent quality, with the odd weak field, so that the
classification rules (an index class capped by the weakest field) all occur.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ...reference.sources import field as required_field
from ...reference.sources import load_yaml
from ...reference.tables import ReferenceDataError
from ..units import SimUnit
from . import FileDropContext, fault_entry, survey_years, unit_label
from .xlsx import (
    ITALIC,
    POINTS_FORMAT,
    new_workbook,
    set_widths,
    workbook_bytes,
    write_atomic,
    write_cell,
    write_header_cell,
    write_title,
)

SOURCE = "par"
FOLDER = "par"
SHEETS = {"department": "Sở, ban, ngành", "district": "UBND cấp huyện", "commune": "UBND cấp xã"}
COLUMNS = {  # column key -> (header label, width)
    "stt": ("STT", 6), "unit_code": ("Mã đơn vị", 18), "unit_name": ("Tên đơn vị", 32),
    "field_name": ("Lĩnh vực", 40), "criterion_code": ("Mã tiêu chí", 10), "criterion_name": ("Tiêu chí", 50),
    "max_points": ("Điểm tối đa", 10), "self_score": ("Điểm tự đánh giá", 12),
    "appraised_score": ("Điểm thẩm định", 12),
}
POINT_COLUMNS = ("max_points", "self_score", "appraised_score")
WEAK_FIELD_SHARE = 0.012  # fields with a bad year (usually below 50%): about 1 unit in 12


def file_name(province: str, year: int) -> str:
    return f"PAR_{province}_{year}.xlsx"


@dataclass(frozen=True)
class Criterion:
    field_code: str
    field_name: str
    code: str
    name: str
    max_points: float


@dataclass(frozen=True)
class Scheme:
    peer_group: str
    version: str
    from_year: int
    fields: dict[str, float]          # field code -> maximum points
    criteria: tuple[Criterion, ...]


def load_methodology(path: Path) -> list[Scheme]:
    """The scoring schemes, checked: every criterion in the catalogue, criteria summing to
    their field's maximum, fields summing to 100."""
    data = load_yaml(path)
    catalogue = required_field(data, "fields", str(path), dict)
    schemes = []
    for i, entry in enumerate(required_field(data, "schemes", str(path), list), start=1):
        where = f"{path}: schemes[{i}]"
        peer_group = required_field(entry, "peer_group", where, str, tuple(SHEETS))
        version = str(required_field(entry, "version", where, (str, int)))
        where = f"{path}: scheme {peer_group} {version}"
        fields: dict[str, float] = {}
        criteria: list[Criterion] = []
        for code, points in required_field(entry, "fields", where, dict).items():
            if code not in catalogue:
                raise ReferenceDataError(f"{where}: field '{code}' is not in the fields catalogue")
            known = catalogue[code].get("criteria") or {}
            maximum = float(required_field(points, "max_points", f"{where}, {code}", (int, float)))
            chosen = required_field(points, "criteria", f"{where}, {code}", dict)
            for criterion, value in chosen.items():
                if str(criterion) not in known:
                    raise ReferenceDataError(f"{where}, {code}: criterion '{criterion}' is not in the catalogue")
                criteria.append(Criterion(code, catalogue[code]["name"], str(criterion), known[str(criterion)],
                                          float(value)))
            if round(sum(float(v) for v in chosen.values()), 6) != maximum:
                raise ReferenceDataError(f"{where}, {code}: criteria sum to {sum(chosen.values())}, "
                                         f"field maximum is {maximum}")
            fields[code] = maximum
        if round(sum(fields.values()), 6) != 100:
            raise ReferenceDataError(f"{where}: fields sum to {sum(fields.values())}, expected 100")
        schemes.append(Scheme(peer_group, version, int(required_field(entry, "from_year", where, int)), fields,
                              tuple(criteria)))
    return schemes


def scheme_for(schemes: list[Scheme], peer_group: str, year: int) -> Scheme:
    candidates = [s for s in schemes if s.peer_group == peer_group and s.from_year <= year]
    if not candidates:
        raise ReferenceDataError(f"par_methodology.yaml: no {peer_group} scheme applies to {year}")
    return max(candidates, key=lambda s: s.from_year)


@dataclass
class ScoreRow:
    unit: SimUnit
    criterion: Criterion
    self_score: float
    appraised_score: float


@dataclass
class Workbook:
    province: str
    year: int
    sheets: dict[str, list[ScoreRow]]        # peer group -> rows
    versions: dict[str, str]                 # peer group -> methodology version
    faults: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return file_name(self.province, self.year)


def _steps(points: np.ndarray) -> np.ndarray:
    """Councils score in quarter points."""
    return np.round(points * 4) / 4


def score_unit(context: FileDropContext, unit: SimUnit, year: int, scheme: Scheme) -> list[ScoreRow]:
    rng = context.rng(SOURCE, unit.unit_key, year)
    quality = context.quality_of(unit.unit_key, year)
    codes = list(scheme.fields)
    # Field performance: the unit's quality, the field's own luck, now and then a bad year.
    effect = rng.normal(0, 0.35, len(codes)) - 2.5 * (rng.random(len(codes)) < WEAK_FIELD_SHARE)
    performance = dict(zip(codes, 1 / (1 + np.exp(-(1.7 + 0.6 * quality + effect)))))
    maxima = np.array([c.max_points for c in scheme.criteria])
    share = np.clip([performance[c.field_code] for c in scheme.criteria] + rng.normal(0, 0.08, len(maxima)), 0, 1)
    appraised = np.minimum(_steps(maxima * share), maxima)
    # Units rate themselves a little higher; now and then the council finds more than claimed.
    generous = _steps(maxima * np.abs(rng.normal(0.06, 0.06, len(maxima))))
    modest = rng.random(len(maxima)) < 0.1
    self_score = np.clip(np.where(modest, appraised - 0.25, appraised + generous), 0, maxima)
    return [ScoreRow(unit, c, float(s), float(a)) for c, s, a in zip(scheme.criteria, self_score, appraised)]


def plan_workbooks(context: FileDropContext, province: str) -> list[Workbook]:
    schemes = load_methodology(context.sources_dir / "par_methodology.yaml")
    workbooks = []
    for year in survey_years(context.config):
        units = context.scored_units(province, year)
        if not units:
            continue  # a province merged into another in 2025 is scored there
        left_out = _left_out(context, province, year, units)
        book = Workbook(province, year, {}, {})
        for peer_group in SHEETS:
            members = [u for u in units if u.peer_group == peer_group]
            if not members:
                continue
            scheme = scheme_for(schemes, peer_group, year)
            book.versions[peer_group] = scheme.version
            book.sheets[peer_group] = [row for u in members if u.unit_key not in left_out
                                       for row in score_unit(context, u, year, scheme)]
            book.faults += [fault_entry("unit_without_par", SOURCE, f"{FOLDER}/{book.name}",
                                        sheet=SHEETS[peer_group], unit_key=u.unit_key,
                                        detail=f"unit left out of the {year} appraisal workbook")
                            for u in members if u.unit_key in left_out]
        workbooks.append(book)
    return workbooks


def _left_out(context: FileDropContext, province: str, year: int, units: list[SimUnit]) -> set[str]:
    count = context.config.faults.units_without_par
    if not count:
        return set()
    rng = context.rng(SOURCE, "left-out", province, year)
    return {units[i].unit_key for i in rng.choice(len(units), size=min(count, len(units)), replace=False)}


@dataclass(frozen=True)
class Layout:
    order: tuple[str, ...] = tuple(COLUMNS)
    extra_title_rows: tuple[str, ...] = ()


def render_workbook(book: Workbook, province_name: str, layout: Layout = Layout()) -> bytes:
    width = len(layout.order)
    position = {key: i + 1 for i, key in enumerate(layout.order)}
    workbook = None
    for peer_group, rows in book.sheets.items():
        title = SHEETS[peer_group]
        if workbook is None:
            workbook, sheet = new_workbook(title, f"Sở Nội vụ tỉnh {province_name}")
        else:
            sheet = workbook.create_sheet(title)
        write_title(sheet, 1, f"ỦY BAN NHÂN DÂN TỈNH {province_name.upper()}", 3)
        write_title(sheet, 2, "HỘI ĐỒNG THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH", 3)
        row = 4
        for line in (f"KẾT QUẢ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {book.year}",
                     f"Khối: {title} (bộ tiêu chí phiên bản {book.versions[peer_group]})",
                     *layout.extra_title_rows):
            write_title(sheet, row, line, width)
            row += 1
        row += 1
        for key, col in position.items():
            write_header_cell(sheet, row, col, COLUMNS[key][0])
        sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
        for number, score in enumerate(rows, start=1):
            row += 1
            values = {"stt": number, "unit_code": score.unit.unit_key, "unit_name": unit_label(score.unit),
                      "field_name": score.criterion.field_name, "criterion_code": score.criterion.code,
                      "criterion_name": score.criterion.name, "max_points": score.criterion.max_points,
                      "self_score": score.self_score, "appraised_score": score.appraised_score}
            for key, value in values.items():
                write_cell(sheet, row, position[key], value, POINTS_FORMAT if key in POINT_COLUMNS else None)
        row += 2
        write_title(sheet, row, f"{province_name}, ngày 15 tháng 12 năm {book.year}", 3, font=ITALIC,
                    column=width - 2)
        write_title(sheet, row + 1, "TM. HỘI ĐỒNG THẨM ĐỊNH", 3, column=width - 2)
        set_widths(sheet, [COLUMNS[key][1] for key in layout.order])
    return workbook_bytes(workbook, datetime(book.year, 12, 15, 9, 0, 0))


def generate(context: FileDropContext) -> list[dict]:
    manifest: list[dict] = []
    for province in context.config.provinces:
        for book in plan_workbooks(context, province):
            data = render_workbook(book, context.province_names[province])
            write_atomic(context.drop_dir / FOLDER / book.name, data)
            manifest.extend(book.faults)
    return manifest
