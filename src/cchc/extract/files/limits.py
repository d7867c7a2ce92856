"""The loaders' business thresholds, read from seeds/sources/loader_limits.yaml (a
reviewed file: the thresholds are not in code). A malformed file raises
ReferenceDataError naming the entry, before any file is touched."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...reference.sources import field, load_yaml
from ...reference.tables import ReferenceDataError

LIMITS_FILE = "loader_limits.yaml"


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal

    def __contains__(self, value: Any) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    amount_ceiling: Decimal          # treasury, triệu đồng
    rate_pct: Range                  # treasury
    answer_scale: Range              # sipas
    question_elements: tuple[str, ...]
    genders: tuple[str, ...]
    age_groups: tuple[str, ...]
    max_points_ceiling: Decimal      # par
    dimension_score: Range           # papi
    dimension_count: Range
    national_rank: Range
    tiers: tuple[str, ...]
    source: str = LIMITS_FILE        # where they were read, for messages

    @classmethod
    def load(cls, path: Path) -> Limits:
        data = load_yaml(path)
        where = str(path)

        def section(name: str) -> dict:
            return field(data, name, where, dict)

        def number(entry: dict, name: str, part: str) -> Decimal:
            value = field(entry, name, f"{where}: {part}", (int, float))
            if value < 0:
                raise ReferenceDataError(f"{where}: {part}.{name} must not be negative, got {value}")
            return Decimal(str(value))

        def bounds(entry: dict, name: str, part: str) -> Range:
            pair = field(entry, name, f"{where}: {part}", dict)
            low, high = (Decimal(str(field(pair, k, f"{where}: {part}.{name}", (int, float)))) for k in ("min", "max"))
            if low > high:
                raise ReferenceDataError(f"{where}: {part}.{name}: min {low} is above max {high}")
            return Range(low, high)

        def names(entry: dict, name: str, part: str) -> tuple[str, ...]:
            values = field(entry, name, f"{where}: {part}", list)
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                raise ReferenceDataError(f"{where}: {part}.{name} must be a list of non-empty texts, got {values!r}")
            return tuple(values)

        files, treasury, sipas, par, papi = (section(s) for s in ("files", "treasury", "sipas", "par", "papi"))
        return cls(
            max_file_bytes=int(number(files, "max_file_size_mb", "files") * 1024 * 1024),
            amount_ceiling=number(treasury, "amount_ceiling_mvnd", "treasury"),
            rate_pct=bounds(treasury, "rate_pct", "treasury"),
            answer_scale=bounds(sipas, "answer_scale", "sipas"),
            question_elements=names(sipas, "question_elements", "sipas"),
            genders=names(sipas, "genders", "sipas"),
            age_groups=names(sipas, "age_groups", "sipas"),
            max_points_ceiling=number(par, "max_points_ceiling", "par"),
            dimension_score=bounds(papi, "dimension_score", "papi"),
            dimension_count=bounds(papi, "dimension_count", "papi"),
            national_rank=bounds(papi, "national_rank", "papi"),
            tiers=names(papi, "tiers", "papi"),
            source=path.name,
        )
