"""What a validation run returns to its callers (CLI, Airflow, benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class CheckFailure:
    suite: str
    expectation: str
    severity: Severity
    units: list[str]
    message_vi: str


@dataclass
class ValidationReport:
    run_id: str
    failures: list[CheckFailure] = field(default_factory=list)
    results_written: int = 0
    data_docs_path: str | None = None

    @property
    def critical_failures(self) -> list[CheckFailure]:
        return [f for f in self.failures if f.severity == "critical"]

    @property
    def warnings(self) -> list[CheckFailure]:
        return [f for f in self.failures if f.severity == "warning"]

    @property
    def ok_to_publish(self) -> bool:
        """False when any critical expectation failed: the nightly DAG then keeps the
        previous snapshot instead of publishing."""
        return not self.critical_failures

    def alert_text_vi(self) -> str:
        if not self.failures:
            return f"Kiểm tra chất lượng dữ liệu (lượt {self.run_id}): tất cả đều đạt."
        head = ("KHÔNG công bố dữ liệu: có lỗi nghiêm trọng." if not self.ok_to_publish
                else "Dữ liệu vẫn được công bố, có cảnh báo.")
        lines = [f"Kiểm tra chất lượng dữ liệu (lượt {self.run_id}): {head}"]
        for label, group in (("Lỗi nghiêm trọng", self.critical_failures),
                             ("Cảnh báo", self.warnings)):
            if group:
                lines.append(f"{label}:")
                lines.extend(f"- [{f.suite}] {f.message_vi}" for f in group)
        return "\n".join(lines)
