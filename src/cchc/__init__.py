"""CCHC data platform: extract, reference data and tooling for the provincial warehouse."""

__version__ = "0.1.0"
