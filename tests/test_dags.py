"""DAG integrity: the DAG files import, the nightly DAG has the agreed shape."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from cchc.orchestration.nightly import DAG_ID, SOURCES, WRITER_POOL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    # Airflow reads its home when first imported: keep it away from ~/airflow.
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=os.path.join(ROOT, "dags"))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags[DAG_ID]


def test_dag_files_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dags


def test_schedule_is_01_00_in_ho_chi_minh_without_catchup(dag):
    timetable = dag.timetable
    assert timetable.expression == "0 1 * * *"
    assert str(timetable.timezone) == "Asia/Ho_Chi_Minh"
    assert dag.catchup is False and dag.max_active_runs == 1
    assert set(dag.tags) >= {"cchc", "nightly"}


@pytest.mark.parametrize("now", ["2026-12-08T01:00:01", "2026-12-08T01:30:00", "2026-12-08T03:00:00",
                                 "2026-12-08T00:59:00", "2026-12-08T12:00:00"])
def test_a_new_dag_waits_for_the_next_01_00(dag, monkeypatch, now):
    """A DAG first seen by the scheduler (no scheduled run yet, as when a stack or the demo
    starts) runs at the next 01:00, not at once for the last one, whatever the hour: the
    scheduler's own timetable code, on the clock given."""
    import pendulum
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables import trigger
    from airflow.timetables.base import TimeRestriction

    local = pendulum.parse(now, tz="Asia/Ho_Chi_Minh")
    monkeypatch.setattr(trigger, "utcnow", lambda: local.in_tz("UTC"))
    timetable = decode_timetable(encode_timetable(dag.timetable))  # as the scheduler holds it
    first = timetable.next_dagrun_info(last_automated_data_interval=None,
                                       restriction=TimeRestriction(earliest=None, latest=None, catchup=False))
    assert first.run_after > local
    assert first.run_after.in_tz("Asia/Ho_Chi_Minh").format("HH:mm") == "01:00"
    assert first.run_after - local <= timedelta(days=1)


def test_every_task_has_owner_retries_with_backoff(dag):
    for task in dag.tasks:
        assert task.owner == "cchc-data", task.task_id
        if task.task_id == "report":
            assert task.retries == 0  # a retried report would alert twice
        else:
            assert task.retries >= 1 and task.retry_exponential_backoff, task.task_id
            assert task.retry_delay > timedelta(0) and task.max_retry_delay <= timedelta(minutes=30)


def test_warehouse_writers_share_a_one_slot_pool(dag):
    writers = {t.task_id for t in dag.tasks if t.pool == WRITER_POOL}
    # dbt docs too: dbt opens the build warehouse read-write.
    assert writers == {*(f"extract_{s}" for s in SOURCES), "dbt_build", "validate", "publish", "dbt_docs"}


def test_one_extract_task_per_source_and_publish_only_after_everything(dag):
    dag.check_cycle()  # raises on a cycle
    build = dag.get_task("dbt_build")
    assert build.upstream_task_ids == {f"extract_{s}" for s in SOURCES}
    assert "reconcile" not in dag.task_ids  # the validation's reconciliation suite does it
    assert dag.get_task("validate").upstream_task_ids == {"dbt_build"}
    assert dag.get_task("publish").upstream_task_ids == {"validate"}
    # The data dictionary of what was just published; its failure is the report's warning.
    assert dag.get_task("dbt_docs").upstream_task_ids == {"publish"}
    for task_id in ("dbt_build", "validate", "publish", "dbt_docs"):
        assert dag.get_task(task_id).trigger_rule == "all_success"
    report = dag.get_task("report")
    assert report.trigger_rule == "all_done"
    assert report.upstream_task_ids == {t.task_id for t in dag.tasks} - {"report"}
    assert [t.task_id for t in dag.leaves] == ["report"]
