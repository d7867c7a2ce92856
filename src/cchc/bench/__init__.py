"""Benchmark harness (issue #8): a fast generator of one-stop-shop dossiers straight to
Parquet, the measured pipeline steps, the hand-written SQL floor and the pandas path."""
