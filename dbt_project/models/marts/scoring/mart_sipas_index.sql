{#- SIPAS satisfaction index per unit × survey year (domain.md §6). For each question,
    the share of the respondents who answered it that are satisfied (answer ≥ var
    sipas_satisfied_min_answer, default 4: satisfied or very satisfied; unanswered
    questions are left out of the denominator); element index = mean of its questions;
    SIPAS = mean of the elements, in %. Full precision; display rounding (half up,
    2 decimals) is the dashboards' job. -#}

{%- set elements = [
    ('TC', 'access'),
    ('TT', 'procedure'),
    ('CC', 'civil_servant'),
    ('KQ', 'result'),
    ('GY', 'feedback'),
    ('CS', 'public_policy'),
] %}

with answers as (

    select * from {{ ref('int_sipas__answers') }}

),

responses as (

    select * from {{ ref('int_sipas__responses') }}

),

questions as (

    select
        unit_key,
        survey_year,
        element_code,
        question_code,
        count(*) filter (where is_answered) as answered_count,
        count(*) filter (where is_satisfied) as satisfied_count,
        {{ pct('count(*) filter (where is_satisfied)', 'count(*) filter (where is_answered)') }} as question_pct

    from answers
    group by unit_key, survey_year, element_code, question_code

),

elements as (

    select
        unit_key,
        survey_year,
        element_code,
        count(question_pct) as question_count,
        avg(question_pct) as element_pct

    from questions
    group by unit_key, survey_year, element_code

),

unit_years as (

    select
        unit_key,
        survey_year,
        count(element_pct) as element_count,
        sum(question_count) as question_count,
        avg(element_pct) as sipas_pct
        {%- for code, name in elements %},
        max(case when element_code = '{{ code }}' then element_pct end) as {{ name }}_pct
        {%- endfor %}

    from elements
    group by unit_key, survey_year

),

samples as (

    select
        unit_key,
        survey_year,
        max(province_code) as province_code,
        max(unit_name) as unit_name,
        count(*) as response_count

    from responses
    group by unit_key, survey_year

)

select
    unit_years.unit_key,
    unit_years.survey_year,
    samples.province_code,
    samples.unit_name,
    samples.response_count,
    unit_years.element_count,
    unit_years.question_count,
    unit_years.sipas_pct
    {%- for code, name in elements %},
    unit_years.{{ name }}_pct
    {%- endfor %},
    -- responses of the unit the loader held back: its index is computed without them
    coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
    coalesce(quarantined.quarantined_rows, 0) = 0 as is_complete

from unit_years
left join samples
    on unit_years.unit_key = samples.unit_key
    and unit_years.survey_year = samples.survey_year
left join {{ ref('int_quality__quarantined_rows') }} as quarantined
    on quarantined.source = 'sipas'
    and quarantined.unit_key = unit_years.unit_key
    and quarantined.period_year = unit_years.survey_year
