"""The province's departments and agencies (sở, ban, ngành): a scored peer group.

Source: ``seeds/sources/departments.yaml`` (a documented demo list; see its header). Each
era is a code scheme with validity dates, and the March 2025 mergers are a lineage like the
territorial one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .sources import field, load_yaml
from .tables import Column, ReferenceDataError, ReferenceTable, nfc

PEER_GROUP = "department"

DEPARTMENT_COLUMNS = [
    Column("department_key", "VARCHAR", "Scheme-qualified code, '<scheme>:<code>'"),
    Column("scheme", "VARCHAR", "dept_legacy (until 2025-02-28) or dept_2025 (from 2025-03-01)"),
    Column("code", "VARCHAR", "Local short code, e.g. SNV"),
    Column("name", "VARCHAR", "Official name, e.g. 'Sở Nội vụ'"),
    Column("department_type", "VARCHAR", "Sở, Ban, Văn phòng, Thanh tra"),
    Column("peer_group", "VARCHAR", "Ranking peer group: always 'department'"),
    Column("province_code", "VARCHAR", "Province the department belongs to"),
    Column("valid_from", "DATE", "First day of the scheme (NULL: before the data horizon)"),
    Column("valid_to", "DATE", "Last day of the scheme (NULL: current)"),
]

DEPARTMENT_LINEAGE_COLUMNS = [
    Column("predecessor_department_key", "VARCHAR", "Department before the March 2025 reorganisation"),
    Column("successor_department_key", "VARCHAR", "Department that took over all or part of its functions"),
    Column("is_partial", "BOOLEAN", "True when the predecessor's functions were split between several successors"),
    Column("effective_date", "DATE", "First day of the successor scheme"),
]


def build_department_tables(path: Path, province_code: str) -> list[ReferenceTable]:
    data = load_yaml(path)
    schemes = data.get("schemes") or {}
    departments = data.get("departments") or {}
    if set(departments) - set(schemes):
        raise ReferenceDataError(f"{path}: departments under unknown schemes {sorted(set(departments) - set(schemes))}")
    rows, lineage = [], []
    codes_by_scheme: dict[str, set[str]] = {}
    for scheme, entries in departments.items():
        validity = schemes[scheme]
        codes_by_scheme[scheme] = set()
        for i, entry in enumerate(entries, start=1):
            where = f"{path}: departments.{scheme}[{i}]"
            code = field(entry, "code", where)
            rows.append({
                "department_key": f"{scheme}:{code}",
                "scheme": scheme,
                "code": code,
                "name": nfc(field(entry, "name", where)),
                "department_type": nfc(field(entry, "type", where)),
                "peer_group": PEER_GROUP,
                "province_code": province_code,
                "valid_from": _date(validity.get("valid_from"), f"{path}: schemes.{scheme}.valid_from"),
                "valid_to": _date(validity.get("valid_to"), f"{path}: schemes.{scheme}.valid_to"),
            })
            codes_by_scheme[scheme].add(code)
    for scheme, entries in departments.items():
        for i, entry in enumerate(entries, start=1):
            successors = entry.get("successors") or []
            if not successors:
                continue
            target = _successor_scheme(scheme, schemes, f"{path}: departments.{scheme}[{i}]")
            for successor in successors:
                if successor not in codes_by_scheme.get(target, set()):
                    raise ReferenceDataError(
                        f"{path}: departments.{scheme}[{i}] ({entry['code']}): successor '{successor}' "
                        f"is not a department of scheme {target}")
                lineage.append({
                    "predecessor_department_key": f"{scheme}:{entry['code']}",
                    "successor_department_key": f"{target}:{successor}",
                    "is_partial": len(successors) > 1,
                    "effective_date": _date(schemes[target].get("valid_from"), f"{path}: schemes.{target}"),
                })
    return [
        ReferenceTable("departments", "Departments and agencies of the province (demo list), both eras.",
                       DEPARTMENT_COLUMNS, ("department_key",), rows),
        ReferenceTable("department_lineage", "Department lineage across the March 2025 reorganisation.",
                       DEPARTMENT_LINEAGE_COLUMNS, ("predecessor_department_key", "successor_department_key"),
                       lineage),
    ]


def _successor_scheme(scheme: str, schemes: dict, where: str) -> str:
    """The scheme that starts the day after this one ends."""
    end = schemes[scheme].get("valid_to")
    for other, validity in schemes.items():
        start = validity.get("valid_from")
        if end and start and (start - end).days == 1:
            return other
    raise ReferenceDataError(f"{where}: has successors but no scheme starts after {scheme} ends")


def _date(value, where: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    raise ReferenceDataError(f"{where}: expected a date (YYYY-MM-DD), got {value!r}")
