"""The dbt project on Apache Spark (issue 17), beside the embedded DuckDB default.

The hand-offs, both plain Parquet that either engine reads:
- ``raw``: after the extractors, the build warehouse's source tables (every table the
  dbt sources name) are written as Parquet, one folder per table, partitioned by load
  where the table carries its load id. The extractors keep writing DuckDB: their checks,
  quarantine and merges live once, there; Spark reads what they accepted.
- ``runner`` (run by the Spark environment's Python, ``.venv/spark``): ``dbt build
  --target spark`` in local mode, then every model's rows as Parquet, which
  ``handback`` loads into a DuckDB file with the same schemas, so validation,
  publication, dashboards and analysts keep reading one DuckDB file however the marts
  were computed.
"""
