{#- Per surveyed unit × SIPAS year: responses loaded. Surveyed units: the units in
    existence on 31/12 of the year in the peer groups the year's export covers. -#}

with responses as (

    select
        responses.province_code, responses.survey_year, responses.unit_key, units.peer_group,
        count(distinct responses.response_id) as responses
    from {{ ref('int_sipas__responses') }} as responses
    left join {{ ref('dim_unit') }} as units on responses.unit_key = units.unit_key
    group by all

),

surveys as (

    select distinct province_code, survey_year, peer_group from responses

)

select
    units.unit_key,
    units.unit_name,
    surveys.survey_year,
    coalesce(responses.responses, 0) as responses
from surveys
inner join {{ ref('int_quality__unit_years') }} as units
    on units.province_code = surveys.province_code
    and units.peer_group = surveys.peer_group
    and units.calendar_year = surveys.survey_year
left join responses
    on responses.province_code = surveys.province_code
    and responses.survey_year = surveys.survey_year
    and responses.unit_key = units.unit_key
order by surveys.survey_year, units.unit_key
