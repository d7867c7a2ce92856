"""PAPI: the real provincial scores 2011-2024 (UNDP / CECODES), dropped unchanged.

PAPI is published once a year as a file; the province has nothing to simulate, so the
drop folder gets the curated copy in seeds/sources/papi/ byte for byte.
"""

from __future__ import annotations

from . import FileDropContext
from .xlsx import write_atomic

SOURCE = "papi"
FOLDER = "papi"
FILE_NAME = "agg_province_year.csv"


def generate(context: FileDropContext) -> list[dict]:
    source = context.sources_dir / "papi" / FILE_NAME
    write_atomic(context.drop_dir / FOLDER / FILE_NAME, source.read_bytes())
    return []
