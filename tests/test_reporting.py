"""The reporting layer (dbt models/marts/reporting) on a real build of the demo warehouse:
the Superset metrics dbt declares, evaluated on the reporting tables, give the marts' own
figures, and rates are blank (not 0%) where their denominator is."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cchc.bi.semantic import load_models

# The mart whose year rows hold the rates the dossier datasets' metrics must reproduce.
RATE_MART = "marts.mart_dossier_kpis_unit"
TRACKING_START = date(2022, 6, 1)  # var digitisation_tracking_start


@pytest.fixture(scope="module")
def con(built_warehouse):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def _rate_metrics():
    return [(dataset.name, metric) for dataset in load_models().values()
            for metric in dataset.metrics.values() if metric.spec.get("mart_rate")]


def test_every_rate_metric_names_its_mart_rate():
    names = {metric.name for _, metric in _rate_metrics()}
    assert {"on_time_rate", "online_share", "input_digitisation_rate", "output_digitisation_rate"} <= names
    assert all(metric.is_rate for _, metric in _rate_metrics())


@pytest.mark.slow
@pytest.mark.parametrize("dataset, metric", _rate_metrics(), ids=lambda v: getattr(v, "name", v))
def test_rate_metric_equals_the_marts_rate(con, dataset, metric):
    """Per unit and year, the Superset formula over the monthly rows equals the mart's rate."""
    rows = con.execute(f"""
        WITH superset AS (
            SELECT unit_key, year, {metric.expression} AS rate FROM reporting.{dataset} GROUP BY ALL)
        SELECT s.unit_key, s.year, s.rate, m.{metric.spec['mart_rate']} / 100 AS mart_rate
        FROM superset s JOIN {RATE_MART} m
          ON m.unit_key = s.unit_key AND m.period_type = 'year' AND year(m.period_start) = s.year""").fetchall()
    assert len(rows) > 100
    different = [r for r in rows if (r[2] is None) != (r[3] is None) or (r[2] is not None and abs(r[2] - r[3]) > 1e-9)]
    assert not different, different[:5]


@pytest.mark.slow
def test_province_2022_digitisation_rates_are_the_marts(con):
    """The figures of the issue: province-wide 2022, counted from the tracking start."""
    models = load_models()
    metrics = models["rpt_dossier_kpis_unit"].metrics
    names = ["input_digitisation_rate", "output_digitisation_rate", "on_time_rate", "online_share"]
    shown = con.execute(f"SELECT {', '.join(metrics[n].expression for n in names)} "
                        "FROM reporting.rpt_dossier_kpis_unit WHERE year = 2022").fetchone()
    mart = con.execute(f"""
        SELECT {', '.join(f'a.{n} / 100' for n in names)} FROM marts.mart_dossier_kpis_area a
        JOIN marts.dim_unit u ON u.unit_key = a.area_unit_key
        WHERE u.unit_level = 'province' AND a.unit_scope = 'all' AND a.period_type = 'year'
          AND a.period_start = DATE '2022-01-01'""").fetchone()
    assert shown == pytest.approx(mart, abs=1e-12)
    # What the dashboards showed before: every dossier since January as the denominator.
    assert round(shown[0], 4) != round(con.execute(
        "SELECT sum(input_digitised) / sum(received_total) FROM reporting.rpt_dossier_kpis_unit WHERE year = 2022"
    ).fetchone()[0], 4)


@pytest.mark.slow
def test_digitisation_rates_are_blank_before_the_tracking_start(con):
    metrics = load_models()["rpt_dossier_kpis_unit"].metrics
    rows = con.execute(f"""
        SELECT period_start, sum(received_total), {metrics['input_digitisation_rate'].expression},
               {metrics['output_digitisation_rate'].expression}
        FROM reporting.rpt_dossier_kpis_unit GROUP BY period_start ORDER BY period_start""").fetchall()
    before = [r for r in rows if r[0] < TRACKING_START]
    after = [r for r in rows if r[0] >= TRACKING_START]
    assert before and all(r[1] > 0 and r[2] is None and r[3] is None for r in before), before[:3]
    assert after and all(r[2] is not None for r in after if r[1])
