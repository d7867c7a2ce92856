"""Extract-load: the code that brings source-system data into the warehouse's raw layer
(see raw.py for its conventions)."""
