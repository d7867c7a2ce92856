{#- PAR INDEX scores per unit × year × criterion as appraised (the grain below
    mart_par_index_fields), with the file row each came from. -#}

select
    province_code,
    score_year,
    unit_key,
    peer_group,
    criterion_code,
    criterion_name,
    field_number,
    field_name,
    max_points,
    self_assessed_points,
    appraised_points,
    source_file,
    source_sheet,
    source_row
from {{ ref('stg_par__scores') }}
