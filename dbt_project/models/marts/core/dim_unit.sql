{#- Units of both eras and the departments: what every fact and ranking joins to. -#}

select
    *,
    valid_to is null as is_current
from {{ ref('int_units__unified') }}
