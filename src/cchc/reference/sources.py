"""Reading the curated YAML sources under seeds/sources/ with errors that name the file
and the entry, so a maintainer editing them knows exactly what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .tables import ReferenceDataError


def load_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: expected a mapping at the top level")
    return data


def field(entry: dict[str, Any], name: str, where: str, kind: type | tuple[type, ...] = str,
          choices: tuple | None = None) -> Any:
    """A required field of an entry, of the given type (and one of ``choices``)."""
    if not isinstance(entry, dict) or name not in entry or entry[name] is None or entry[name] == "":
        raise ReferenceDataError(f"{where}: missing field '{name}'")
    value = entry[name]
    # YAML reads 'yes'/'true' as bool, which is an int subclass: keep them apart.
    if isinstance(value, bool) and kind is not bool:
        raise ReferenceDataError(f"{where}: field '{name}' must be {_kind_name(kind)}, got {value!r}")
    if not isinstance(value, kind):
        raise ReferenceDataError(f"{where}: field '{name}' must be {_kind_name(kind)}, got {value!r}")
    if choices is not None and value not in choices:
        raise ReferenceDataError(f"{where}: field '{name}' is {value!r}, expected one of {list(choices)}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)
