"""Nightly refresh of the CCHC warehouse (Asia/Ho_Chi_Minh, 01:00).

Only wiring: every task calls cchc.orchestration.tasks. One extract task per source, so a
source that stays down fails alone while the others load; tasks that touch the build
warehouse share a one-slot pool (DuckDB: one writer); dbt, validation (reconciliation with
the source's daily counts included) and publication run only when every extraction
succeeded; after publication ``dbt_docs`` regenerates the data dictionary (its failure is
a warning: the snapshot is already published); ``report`` sends the run's single alert and
fails the run when a step failed.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, CronTriggerTimetable

from cchc.orchestration import tasks
from cchc.orchestration.nightly import DAG_ID, SOURCES, WRITER_POOL
from cchc.settings import TIME_ZONE, load_settings

settings = load_settings()

with DAG(
    dag_id=DAG_ID,
    description="Trích xuất, biến đổi, kiểm tra và công bố kho dữ liệu CCHC hằng đêm",
    # No start_date: a newly deployed (or unpaused) DAG waits for the next 01:00 instead of
    # running the latest missed night at once; past nights are run with `airflow backfill`.
    # run_immediately=0, not False: Airflow 3.3 reads False like None and still runs the
    # last 01:00 when the DAG first appears within 2.4 h of it (apache/airflow#64162), so a
    # stack started at 02:00 ran a second night beside the demo's.
    schedule=CronTriggerTimetable("0 1 * * *", timezone=pendulum.timezone(TIME_ZONE),
                                  run_immediately=timedelta(0)),
    catchup=False,
    max_active_runs=1,
    tags=["cchc", "nightly", "warehouse"],
    doc_md=__doc__,
    default_args={
        "owner": "cchc-data",
        "retries": settings.task_retries,
        "retry_delay": timedelta(seconds=settings.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "pool": WRITER_POOL,
    },
):
    extracts = [PythonOperator(task_id=f"extract_{source}", python_callable=tasks.extract, op_args=[source])
                for source in SOURCES]
    built = PythonOperator(task_id="dbt_build", python_callable=tasks.dbt_build)
    validated = PythonOperator(task_id="validate", python_callable=tasks.validate)
    published = PythonOperator(task_id="publish", python_callable=tasks.publish)
    documented = PythonOperator(task_id="dbt_docs", python_callable=tasks.dbt_docs)
    # Reads no warehouse (outside the pool); no retries: a retry would alert twice.
    reported = PythonOperator(task_id="report", python_callable=tasks.report, trigger_rule="all_done",
                              retries=0, pool="default_pool")

    extracts >> built >> validated >> published >> documented
    [*extracts, built, validated, published, documented] >> reported
