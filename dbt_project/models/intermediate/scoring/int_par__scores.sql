{#- PAR INDEX scores (stg_par__scores) with the unit that held each code sent on 31/12 of
    the score year: a yearly index is of the units as they stood at the end of its year
    (macro unit_version_join; domain.md §2 "Units as they were on any date"). -#}

select
    scores.province_code,
    scores.score_year,
    {{ unit_version_key('scores.unit_key') }} as unit_key,
    scores.criterion_code,
    scores.peer_group,
    scores.unit_name,
    scores.field_number,
    scores.field_name,
    scores.criterion_name,
    scores.max_points,
    scores.self_assessed_points,
    scores.appraised_points,
    scores.load_id,
    scores.source_file,
    scores.source_sheet,
    scores.source_row,
    scores.loaded_at
from {{ ref('stg_par__scores') }} as scores
{{ unit_version_join('scores.unit_key', 'make_date(scores.score_year, 12, 31)') }}
