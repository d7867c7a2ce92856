{#- Predecessor -> successor across the reorganisations: communes merged since 2019 (each
    with its resolution), communes and provinces (from 01/07/2025) and departments (from
    01/03/2025). Many-to-many. -#}

select
    predecessor_unit_key,
    successor_unit_key,
    is_partial,
    is_default_successor,
    effective_date,
    legal_basis
from {{ ref('stg_reference__admin_unit_lineage') }}

union all

select
    predecessor_department_key,
    successor_department_key,
    is_partial,
    -- A department's functions follow the successor named first when nothing finer is known.
    row_number() over (partition by predecessor_department_key order by successor_department_key) = 1,
    effective_date,
    cast(null as string) as legal_basis
from {{ ref('stg_reference__department_lineage') }}
