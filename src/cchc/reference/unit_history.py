"""Units as they were on any date: the reorganisations before 2025, from their resolutions.

The ``vietnamadminunits`` package knows the legacy units only as they stood on
30/06/2025. Communes were also merged, moved and upgraded before that (the rounds of
2019-2021 and 2023-2025, each decided by a resolution of the National Assembly Standing
Committee, Ủy ban Thường vụ Quốc hội). ``seeds/sources/admin_unit_changes.yaml`` lists
those resolutions with their legal citation, effective date and changes; this module
turns them into dated units and lineage, so a 2022 period is reported on the 2022 units.

Keys. A unit that disappeared keeps ``legacy:<code>``; when its code lives on in a later
unit (a merger names the new commune after, and gives it the code of, one predecessor), the
earlier holder of the code is keyed ``legacy:<code>@<last day>`` (``legacy:11098@2024-11-30``
is Xã Tái Sơn, whose code Xã Kỳ Sơn has used since 01/12/2024). Sources keep sending
``legacy:<code>``; the warehouse resolves it to the unit holding the code on the record's
date (dbt macro ``unit_version_join``).

Resolutions are applied from the latest back, so a change may name as its successor a unit
that a later resolution abolished. Boundary adjustments between units that both survive
(điều chỉnh một phần địa giới) change no unit and are not listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from .sources import field, load_yaml
from .tables import ReferenceDataError, nfc

LEGACY = "legacy"
# merge: the units form a new one (which may keep one predecessor's code); absorb: units
# are joined to one that lives on unchanged (nhập ... vào); transfer: a whole unit moves to
# another district; upgrade / rename: the same territory under a new type or name.
CHANGE_KINDS = ("merge", "absorb", "transfer", "upgrade", "rename")
# Longest first: "Thành phố" before a shorter prefix could match.
UNIT_TYPES = ("Thị trấn", "Thị xã", "Thành phố", "Phường", "Huyện", "Quận", "Xã")


def version_key(code: str, last_day: date) -> str:
    """The key of an earlier holder of a code that a later unit still uses."""
    return f"{LEGACY}:{code}@{last_day.isoformat()}"


def _unit_type(name: str, where: str) -> tuple[str, str]:
    for unit_type in UNIT_TYPES:
        if name.startswith(unit_type + " "):
            return unit_type, name[len(unit_type) + 1:]
    raise ReferenceDataError(f"{where}: name '{name}' does not start with a unit type ({', '.join(UNIT_TYPES)})")


def _code(entry: dict, where: str) -> str:
    code = field(entry, "code", where)
    if not code.isdigit():
        raise ReferenceDataError(f"{where}: code '{code}' is not a GSO code (digits only)")
    return code


def _parent(entry: dict, successor: dict, holder: dict[str, dict], where: str) -> str | None:
    """The predecessor's district (the unit holding the code given, on its last day), or
    the successor's parent."""
    district = entry.get("district")
    if district is None:
        return successor["parent_unit_key"]
    if str(district) not in holder:
        raise ReferenceDataError(f"{where}.district: {district} is not a legacy district code")
    return holder[str(district)]["unit_key"]


def legal_basis(resolution: dict, where: str) -> str:
    signed = field(resolution, "signed", where, date)
    return f"Nghị quyết {field(resolution, 'number', where)} ngày {signed:%d/%m/%Y}"


def apply_unit_history(path: Path, units: list[dict]) -> tuple[list[dict], list[dict]]:
    """The earlier units and their lineage to their successors, from the resolutions in
    ``path``; sets ``valid_from`` of the units the changes created (``units``: the legacy
    and 2025 units, changed in place). Raises ReferenceDataError naming the file, the
    resolution, the change and the field of anything inconsistent."""
    resolutions = load_yaml(path).get("resolutions") or []
    # The earliest known holder of each legacy code, walking back in time.
    holder = {u["code"]: u for u in units if u["scheme"] == LEGACY}
    keys = {u["unit_key"] for u in units}
    earlier_units: list[dict] = []
    lineage: list[dict] = []
    located = [(f"{path}: resolutions[{i}] ({r.get('number', '?') if isinstance(r, dict) else '?'})", r)
               for i, r in enumerate(resolutions, start=1)]
    dated = [(field(r, "effective", where, date), where, r) for where, r in located]
    for effective, where, resolution in sorted(dated, key=lambda d: d[0], reverse=True):
        basis = legal_basis(resolution, where)
        # The units this resolution abolished: a unit split between several successors
        # (nhập một phần) is listed under each, marked `partial: true`; its records follow
        # the first listed.
        split: dict[str, dict] = {}
        # In the order listed: a district's change before its communes', so that a commune's
        # district is the one holding the code before the change.
        for j, change in enumerate(field(resolution, "changes", where, list), start=1):
            at = f"{where}.changes[{j}]"
            kind = field(change, "kind", at, choices=CHANGE_KINDS)
            into = field(change, "into", at, dict)
            successor = holder.get(_code(into, f"{at}.into"))
            if successor is None:
                raise ReferenceDataError(f"{at}.into: code {into['code']} is not a legacy unit of 30/06/2025 "
                                         "nor one a later resolution abolished")
            if nfc(field(into, "name", f"{at}.into")) != successor["name"]:
                raise ReferenceDataError(f"{at}.into.name: '{into['name']}' but the unit with code {into['code']} "
                                         f"then is '{successor['name']}'")
            if kind != "absorb":
                if successor["valid_from"] is not None:
                    raise ReferenceDataError(f"{at}.into: {successor['name']} ({into['code']}) already begins on "
                                             f"{successor['valid_from']:%d/%m/%Y}")
                successor["valid_from"] = effective
            last_day = effective - timedelta(days=1)
            for k, entry in enumerate(field(change, "from", at, list), start=1):
                source = f"{at}.from[{k}]"
                code = _code(entry, source)
                name = nfc(field(entry, "name", source))
                unit_type, short_name = _unit_type(name, f"{source}.name")
                if kind == "absorb" and code == successor["code"]:
                    raise ReferenceDataError(f"{source}: {name} absorbs itself (a unit that lives on is not "
                                             "among the units joined to it)")
                is_partial = field(entry, "partial", source, bool) if "partial" in entry else False
                if code in split:
                    if not (is_partial and split[code]["is_partial"]):
                        raise ReferenceDataError(f"{source}: {name} ({code}) is abolished twice (a unit split "
                                                 "between successors is marked `partial: true` under each)")
                    lineage.append({**split[code], "successor_unit_key": successor["unit_key"],
                                    "successor_level": successor["level"], "is_default_successor": False})
                    continue
                key = version_key(code, last_day) if f"{LEGACY}:{code}" in keys else f"{LEGACY}:{code}"
                predecessor = {
                    **successor,
                    "unit_key": key, "code": code, "name": name, "short_name": short_name, "unit_type": unit_type,
                    "parent_unit_key": _parent(entry, successor, holder, source),
                    # An abolished unit is drawn at its successor's centre; its own area is unknown.
                    "area_km2": None, "valid_from": None, "valid_to": last_day,
                }
                if key in keys:
                    raise ReferenceDataError(f"{source}: {name} ({code}) is abolished twice (a unit split between "
                                             "successors is marked `partial: true` under each)")
                keys.add(key)
                holder[code] = predecessor
                earlier_units.append(predecessor)
                lineage.append({
                    "predecessor_unit_key": key, "successor_unit_key": successor["unit_key"],
                    "predecessor_level": predecessor["level"], "successor_level": successor["level"],
                    "is_partial": is_partial, "is_default_successor": True, "effective_date": effective,
                    "legal_basis": basis,
                })
                split[code] = lineage[-1]
    return earlier_units, lineage
