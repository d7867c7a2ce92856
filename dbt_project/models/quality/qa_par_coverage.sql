{#- Per scored unit × PAR year: criteria of its peer group's scheme that year (the
    criteria of the appraisal workbook's sheet) against the criteria it has appraised
    points for, both as mart_par_index counts them (one definition of a complete unit).
    Scored units: the peer group's units in existence on 31/12 of the year, so a unit
    missing from the workbook altogether counts 0 criteria. -#}

with sheets as (

    select distinct province_code, score_year, peer_group, criteria_in_scheme
    from {{ ref('mart_par_index') }}

)

select
    units.unit_key,
    units.unit_name,
    units.peer_group,
    sheets.score_year,
    sheets.criteria_in_scheme,
    coalesce(scored.criteria_scored, 0) as criteria_scored,
    sheets.criteria_in_scheme - coalesce(scored.criteria_scored, 0) as missing_criteria
from sheets
inner join {{ ref('int_quality__unit_years') }} as units
    on units.province_code = sheets.province_code
    and units.peer_group = sheets.peer_group
    and units.calendar_year = sheets.score_year
left join {{ ref('mart_par_index') }} as scored
    on scored.score_year = sheets.score_year
    and scored.unit_key = units.unit_key
order by sheets.score_year, units.unit_key
