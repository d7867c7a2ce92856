"""Reference data: administrative units of both eras and their lineage, departments,
the procedure catalogue and the working-day calendar."""
