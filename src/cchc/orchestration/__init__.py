"""Airflow orchestration of the nightly pipeline: step logic (nightly), reconciliation,
Airflow task callables (tasks) and the Airflow runtime for this project (runtime)."""
