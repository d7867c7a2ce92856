"""The periodic CCHC report (`cchc report`): the tables of the office's quarterly / annual
report (the shape of the Tứ Kỳ 2022 report, docs/domain.md §10), as a Word document and an
Excel workbook in Vietnamese, read from the serving snapshot (read-only).

Every figure is a column of a dbt model of schema ``report`` (models/marts/reporting/report,
rpt_report_*): this package filters rows and formats them for reading, nothing else."""

from .build import ReportFiles, write_report
from .period import Period, parse_period

__all__ = ["Period", "ReportFiles", "parse_period", "write_report"]
