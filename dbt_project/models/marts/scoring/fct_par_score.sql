{#- PAR INDEX scores per unit × year × criterion as appraised (the grain below
    mart_par_index_fields), with the file row each came from. -#}

select
    scores.province_code,
    scores.score_year,
    scores.unit_key,
    scores.peer_group,
    scores.criterion_code,
    scores.criterion_name,
    scores.field_number,
    scores.field_name,
    scores.max_points,
    scores.self_assessed_points,
    scores.appraised_points,
    scores.source_file,
    scores.source_sheet,
    scores.source_row
from {{ ref('int_par__scores') }} as scores
