"""The callables behind the DAG's tasks: they read the run's context, call the steps of
cchc.orchestration.nightly and hand results to the run report through XCom. Kept out of the
DAG file so the file only wires tasks, and imported lazily by it so parsing stays fast.

One alert per run: steps never alert themselves. They record their error (XCom key
``error``, overwritten by each try) or warnings (their return value); the final ``report``
task runs whatever happened upstream (trigger rule ``all_done``), reads the final states
of the run's tasks through the Task SDK, sends at most one alert and fails when a step
failed, so the run is marked failed. DAG-level failure callbacks would also fire once per
run, but in Airflow 3 they run in the DAG processor and `airflow dags test` does not go
through it, so the alert path would be untested.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from ..settings import load_settings
from . import nightly

log = logging.getLogger(__name__)


def _run_day(context: dict[str, Any]):
    moment = context.get("logical_date") or context["dag_run"].run_after
    return nightly.run_day(moment)


def _recording_errors(step: Callable[..., nightly.StepResult]) -> Callable[..., dict]:
    """Run a step with the task's context (Airflow passes the whole context to a callable
    taking ``**kwargs``); on failure record the error for the run report, then re-raise."""

    def run(*args: Any, **context: Any) -> dict:
        try:
            result = step(context, *args)
        except Exception as exc:
            context["ti"].xcom_push(key="error", value=f"{type(exc).__name__}: {exc}"[:4000])
            raise
        for line in result.lines:
            log.info("%s", line)
        return result.as_dict()

    run.__name__ = run.__qualname__ = step.__name__
    run.__doc__ = step.__doc__
    return run


@_recording_errors
def extract(context: dict, source: str) -> nightly.StepResult:
    """Extract-load one source into the raw layer."""
    return nightly.extract_source(load_settings(), source, _run_day(context))


@_recording_errors
def dbt_build(context: dict) -> nightly.StepResult:
    return nightly.build(load_settings())


@_recording_errors
def validate(context: dict) -> nightly.StepResult:
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return nightly.validate(load_settings(), context["run_id"], _run_day(context))
    except nightly.CriticalValidationError as exc:
        for line in exc.lines:
            log.error("%s", line)
        raise AirflowFailException(str(exc)) from None  # the data will not change on a retry


@_recording_errors
def publish(context: dict) -> nightly.StepResult:
    return nightly.publish(load_settings(), context["run_id"])


@_recording_errors
def dbt_docs(context: dict) -> nightly.StepResult:
    return nightly.dbt_docs(load_settings())


def report(**context: Any) -> list[str]:
    """The run's single alert; fails the run when a step failed."""
    from airflow.sdk.exceptions import AirflowFailException

    from ..alerts import send_alert

    ti, run_id = context["ti"], context["run_id"]
    states = ti.get_task_states(dag_id=ti.dag_id, run_ids=[run_id]).get(run_id, {})
    states = {t: states.get(t) for t in nightly.STEP_NAMES_VI if t in states}
    errors, warnings, units, summaries = {}, {}, [], {}
    for task, state in states.items():
        if state == "failed":
            errors[task] = ti.xcom_pull(task_ids=task, key="error") or ""
        elif state == "success":
            result = ti.xcom_pull(task_ids=task) or {}
            warnings[task] = result.get("warnings") or []
            units += result.get("units") or []
            summaries[task] = result.get("summary") or ""
    report_ = nightly.run_report(ti.dag_id, run_id, _run_day(context), states, errors, warnings, units, summaries)
    if report_.summary:
        log.info("%s", report_.summary)
    channels: list[str] = []
    if report_.subject:
        url = nightly.run_url(os.environ.get("AIRFLOW__API__BASE_URL", "http://localhost:8080"), ti.dag_id, run_id)
        channels = send_alert(report_.subject, report_.body, run_url=url)
    if report_.failed:
        raise AirflowFailException(report_.subject)
    return channels
