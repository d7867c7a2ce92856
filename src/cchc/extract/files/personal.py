"""Personal data in dropped files: recognised by label, never written anywhere.

The loaders store a value only when its column is a known, non-personal column of the
template. A column labelled as personal data (any of ``PERSONAL_LABELS``, however the
sender spells it) or not part of the template at all (it may be personal: a new 'Ghi
chú' column can hold a phone number) keeps its label in a quarantined row's
``raw_record`` with the value withheld. Parsers never run on those cells, so no reason
can quote them either.
"""

from __future__ import annotations

from typing import Any

from .cells import fold, text

# Label variants of personal data seen in survey exports and office spreadsheets; a label
# that starts with one of them (ignoring case and diacritics: 'So dien thoai lien he') is
# personal.
PERSONAL_LABELS = (
    "Họ và tên", "Họ tên", "Tên người trả lời", "Người trả lời", "Người được khảo sát",
    "Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "ĐT liên hệ", "Di động",
    "Email", "E-mail", "Thư điện tử",
    "CCCD", "Số CCCD", "CMND", "Số CMND", "CMND/CCCD", "Căn cước", "Số căn cước", "Số định danh",
    "Hộ chiếu", "Mã số thuế cá nhân",
    "Địa chỉ", "Nơi ở", "Nơi cư trú", "Ngày sinh", "Năm sinh",
)
_FOLDED = tuple(fold(label) for label in PERSONAL_LABELS)

WITHHELD_PERSONAL = "(withheld: personal data)"
WITHHELD_UNKNOWN = "(withheld: not a template column)"


def is_personal_label(label: Any) -> bool:
    folded = fold(label)
    return any(folded == p or folded.startswith(p + " ") or folded.startswith(p + "/") for p in _FOLDED)


def record_labels(labels: list[str]) -> list[str]:
    """The keys of a row's raw_record: the header labels, 'column N' for an unlabelled
    one, made unique (a repeated label gets ' (2)')."""
    seen: dict[str, int] = {}
    keys = []
    for index, label in enumerate(labels):
        key = label or f"column {index + 1}"
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key} ({seen[key]})")
    return keys


def withheld_columns(labels: list[str], kept: set[int]) -> dict[int, str]:
    """Column index -> the marker its values get in raw_record, for every column whose
    values are not stored: personal ones and those outside the template."""
    return {index: WITHHELD_PERSONAL if is_personal_label(label) else WITHHELD_UNKNOWN
            for index, label in enumerate(labels) if index not in kept}


def redacted_record(keys: list[str], withheld: dict[int, str], cells: list[Any]) -> dict[str, Any]:
    """The row as sent, label -> value, with the values of ``withheld`` columns replaced
    by their marker (an empty cell stays empty)."""
    record: dict[str, Any] = {}
    for index, key in enumerate(keys):
        cell = cells[index] if index < len(cells) else None
        record[key] = withheld[index] if index in withheld and text(cell) is not None else cell
    return record
