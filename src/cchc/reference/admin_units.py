"""Administrative units of both eras and the legacy -> 2025 lineage.

Source: the ``vietnamadminunits`` package (MIT, version pinned in the lock files). It ships
the GSO/NSO unit lists of both eras with official codes, names, types and coordinates
(the legacy list as it stood just before 1 July 2025: 63 provinces, 696 districts, 10,035
communes) and the converter tables used for the 2025 reorganisation (Nghị quyết
202/2025/QH15 and the Standing Committee's resolutions on communes). We read its bundled
SQLite database through the package's own ``database.query`` API and its converter JSON.

Codes are only meaningful with their scheme: a 2025 commune often reuses the code of one
of its predecessors, so every unit is keyed ``<scheme>:<code>`` (``legacy:18073``,
``2025:18073``). Within a scheme the code lengths differ by level (2 / 3 / 5 digits), so a
code is unique within its scheme.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from vietnamadminunits.database import query

from .tables import Column, ReferenceDataError, ReferenceTable, nfc
from .unit_history import apply_unit_history

LEGACY_SCHEME = "legacy"
REFORM_SCHEME = "2025"
LEGACY_VALID_TO = date(2025, 6, 30)
REFORM_EFFECTIVE = date(2025, 7, 1)

UNIT_COLUMNS = [
    Column("unit_key", "VARCHAR", "Scheme-qualified code, '<scheme>:<code>'; an earlier holder of a code still in "
           "use: 'legacy:<code>@<its last day>'"),
    Column("scheme", "VARCHAR", "Code scheme: 'legacy' (63 provinces, until 2025-06-30) or '2025'"),
    Column("level", "VARCHAR", "province | district | commune"),
    Column("code", "VARCHAR", "GSO/NSO administrative code within the scheme"),
    Column("name", "VARCHAR", "Official name with type, e.g. 'Xã Thạch Hà'"),
    Column("short_name", "VARCHAR", "Name without the unit type"),
    Column("unit_type", "VARCHAR", "Tỉnh, Thành phố, Huyện, Quận, Thị xã, Xã, Phường, Thị trấn, Đặc khu"),
    Column("parent_unit_key", "VARCHAR", "Province of a 2025 commune; district of a legacy commune"),
    Column("province_code", "VARCHAR", "Code of the province the unit belongs to, same scheme"),
    Column("latitude", "DOUBLE", "WGS84 latitude of the unit's centre"),
    Column("longitude", "DOUBLE", "WGS84 longitude of the unit's centre"),
    Column("area_km2", "DOUBLE", "Area in km² (2025 communes only)"),
    Column("valid_from", "DATE", "First day the unit exists (NULL: no later beginning is recorded)"),
    Column("valid_to", "DATE", "Last day the unit exists (NULL: still current)"),
]

LINEAGE_COLUMNS = [
    Column("predecessor_unit_key", "VARCHAR", "Legacy unit (province, commune, or island district without communes)"),
    Column("successor_unit_key", "VARCHAR", "Unit that took over all or part of the predecessor: a 2025 unit, or a "
           "legacy unit formed by an earlier merger"),
    Column("predecessor_level", "VARCHAR", "province | district | commune"),
    Column("successor_level", "VARCHAR", "province | commune"),
    Column("is_partial", "BOOLEAN", "True when the predecessor was split between several successors (nhập một phần)"),
    Column("is_default_successor", "BOOLEAN", "The successor a record of the predecessor goes to when nothing finer is known"),
    Column("effective_date", "DATE", "Date the successor took over (2025-07-01, or an earlier resolution's)"),
    Column("legal_basis", "VARCHAR", "The resolution that decided the change, with its date"),
]

REFORM_LEGAL_BASIS = ("Nghị quyết 202/2025/QH15 ngày 12/06/2025 và các nghị quyết của Ủy ban Thường vụ Quốc hội "
                      "về sắp xếp đơn vị hành chính cấp xã năm 2025")


def _key(scheme: str, code: str) -> str:
    return f"{scheme}:{code}"


def _converter_tables() -> dict[str, Any]:
    path = resources.files("vietnamadminunits") / "data" / "converter_2025.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def _unit(scheme, level, code, name, short, unit_type, parent, province_code, lat, lon, area):
    legacy = scheme == LEGACY_SCHEME
    return {
        "unit_key": _key(scheme, code),
        "scheme": scheme,
        "level": level,
        "code": code,
        "name": nfc(name),
        "short_name": nfc(short),
        "unit_type": nfc(unit_type),
        "parent_unit_key": _key(scheme, parent) if parent else None,
        "province_code": province_code,
        "latitude": lat,
        "longitude": lon,
        "area_km2": area,
        "valid_from": None if legacy else REFORM_EFFECTIVE,
        "valid_to": LEGACY_VALID_TO if legacy else None,
    }


def _legacy_units(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Units of the 63-province scheme and a map from the converter's keys to unit keys."""
    units: dict[str, dict] = {}
    converter_keys: dict[str, str] = {}
    for r in rows:
        p, d, w = r["provinceCode"], r["districtCode"], r["wardCode"]
        units.setdefault(p, _unit(LEGACY_SCHEME, "province", p, r["province"], r["provinceShort"],
                                  _province_type(r["province"]), None, p,
                                  r["provinceLat"], r["provinceLon"], None))
        units.setdefault(d, _unit(LEGACY_SCHEME, "district", d, r["district"], r["districtShort"],
                                  r["districtType"], p, p, r["districtLat"], r["districtLon"], None))
        converter_keys.setdefault(f"legacy-province:{r['provinceKey']}", _key(LEGACY_SCHEME, p))
        if w is None:
            # Island districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn,
            # Côn Đảo): the converter addresses them as '<province>_<district>_'.
            converter_keys[f"{r['provinceKey']}_{r['districtKey']}_"] = _key(LEGACY_SCHEME, d)
            continue
        if w in units:
            raise ReferenceDataError(f"vietnamadminunits admin_units_legacy: commune code {w} appears twice")
        units[w] = _unit(LEGACY_SCHEME, "commune", w, r["ward"], r["wardShort"], r["wardType"], d, p,
                         r["wardLat"], r["wardLon"], None)
        converter_keys[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"] = _key(LEGACY_SCHEME, w)
    return list(units.values()), converter_keys


def _reform_units(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    units: dict[str, dict] = {}
    converter_keys: dict[str, str] = {}
    for r in rows:
        p, w = r["provinceCode"], r["wardCode"]
        units.setdefault(p, _unit(REFORM_SCHEME, "province", p, r["province"], r["provinceShort"],
                                  _province_type(r["province"]), None, p,
                                  r["provinceLat"], r["provinceLon"], None))
        converter_keys.setdefault(f"2025-province:{r['provinceKey']}", _key(REFORM_SCHEME, p))
        if w in units:
            raise ReferenceDataError(f"vietnamadminunits admin_units: commune code {w} appears twice")
        units[w] = _unit(REFORM_SCHEME, "commune", w, r["ward"], r["wardShort"], r["wardType"], p, p,
                         r["wardLat"], r["wardLon"], r["wardAreaKm2"])
        converter_keys[f"{r['provinceKey']}/{r['wardKey']}"] = _key(REFORM_SCHEME, w)
    return list(units.values()), converter_keys


def _lineage(tables: dict[str, Any], old_keys: dict[str, str], new_keys: dict[str, str],
             level_of: dict[str, str]) -> list[dict]:
    def resolve(keys: dict[str, str], key: str, what: str) -> str:
        try:
            return keys[key]
        except KeyError:
            raise ReferenceDataError(
                f"vietnamadminunits converter_2025.json: {what} '{key}' is not in the unit lists"
            ) from None

    # (predecessor, successor) -> is_default_successor
    pairs: dict[tuple[str, str], bool] = {}
    for new_prov, old_provs in tables["DICT_PROVINCE"].items():
        successor = resolve(new_keys, f"2025-province:{new_prov}", "province")
        for old in old_provs:
            pairs[(resolve(old_keys, f"legacy-province:{old}", "legacy province"), successor)] = True
    for new_prov, wards in tables["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            successor = resolve(new_keys, f"{new_prov}/{new_ward}", "commune")
            for old in olds:
                pairs[(resolve(old_keys, old, "legacy commune"), successor)] = True
    for new_prov, divided in tables["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in divided.items():
            predecessor = resolve(old_keys, old, "legacy commune")
            for part in parts:
                successor = resolve(new_keys, f"{new_prov}/{part['newWardKey']}", "commune")
                pairs[(predecessor, successor)] = bool(part["isDefaultNewWard"])

    successors: dict[str, int] = defaultdict(int)
    for predecessor, _ in pairs:
        successors[predecessor] += 1
    return [
        {
            "predecessor_unit_key": pred,
            "successor_unit_key": succ,
            "predecessor_level": level_of[pred],
            "successor_level": level_of[succ],
            "is_partial": successors[pred] > 1,
            "is_default_successor": is_default,
            "effective_date": REFORM_EFFECTIVE,
            "legal_basis": REFORM_LEGAL_BASIS,
        }
        for (pred, succ), is_default in pairs.items()
    ]


def build_admin_unit_tables(history: Path) -> list[ReferenceTable]:
    """The units and their lineage: both schemes from the package, and the earlier units
    of the resolutions listed in ``history`` (cchc.reference.unit_history)."""
    legacy, old_keys = _legacy_units(query("SELECT * FROM admin_units_legacy"))
    reform, new_keys = _reform_units(query("SELECT * FROM admin_units"))
    units = legacy + reform
    level_of = {u["unit_key"]: u["level"] for u in units}
    lineage = _lineage(_converter_tables(), old_keys, new_keys, level_of)
    earlier_units, earlier_lineage = apply_unit_history(history, units)
    return [
        ReferenceTable(
            "admin_units",
            "Provinces, districts and communes of both code schemes (legacy 63-province and 2025 34-province), "
            "from the vietnamadminunits package, and the units earlier resolutions abolished "
            "(seeds/sources/admin_unit_changes.yaml), each with its validity dates.",
            UNIT_COLUMNS, ("unit_key",), units + earlier_units,
        ),
        ReferenceTable(
            "admin_unit_lineage",
            "Predecessor -> successor units (many-to-many): legacy -> 2025 from the vietnamadminunits converter "
            "tables, and the earlier mergers, transfers and upgrades with their resolutions.",
            LINEAGE_COLUMNS, ("predecessor_unit_key", "successor_unit_key"), lineage + earlier_lineage,
        ),
    ]
