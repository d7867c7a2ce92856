{#- Units of both eras and the departments: what every fact and ranking joins to. -#}

select
    unit_key,
    scheme,
    unit_code,
    unit_name,
    short_name,
    unit_type,
    unit_level,
    peer_group,
    parent_unit_key,
    province_code,
    latitude,
    longitude,
    area_km2,
    valid_from,
    valid_to,
    valid_to is null as is_current
from {{ ref('int_units__unified') }}
