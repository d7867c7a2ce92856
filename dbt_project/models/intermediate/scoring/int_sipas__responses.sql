{#- SIPAS responses (stg_sipas__responses) with the unit that held each code sent on
    31/12 of the survey year: a yearly index is of the units as they stood at the end of
    its year, as int_quality__unit_years lists them (macro unit_version_join). -#}

select
    responses.response_id,
    responses.province_code,
    responses.survey_year,
    responses.survey_date,
    {{ unit_version_key('responses.unit_key') }} as unit_key,
    responses.unit_name,
    responses.service_field_name,
    responses.gender,
    responses.age_group,
    responses.load_id,
    responses.source_file,
    responses.source_row,
    responses.loaded_at
from {{ ref('stg_sipas__responses') }} as responses
{{ unit_version_join('responses.unit_key', 'make_date(responses.survey_year, 12, 31)') }}
