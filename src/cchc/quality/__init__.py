"""Data-quality checks (Great Expectations 1.x) on small aggregate tables of the build
warehouse. Public contract (docs: /work/briefs/contracts.md):

    report = run_validations(settings, warehouse=None, run_id="manual", as_of=None)
    report.ok_to_publish, report.critical_failures, report.warnings, report.alert_text_vi()
"""

from __future__ import annotations

from .report import CheckFailure, ValidationReport
from .run import run_validations

__all__ = ["CheckFailure", "ValidationReport", "run_validations"]
