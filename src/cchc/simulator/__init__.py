"""Deterministic simulator of a province's source systems: one-stop-shop dossiers,
treasury disbursement reports, SIPAS survey exports, PAR scoring workbooks and PAPI.

Same seed and parameters -> byte-identical output."""
