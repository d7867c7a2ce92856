{#- Per source × unit code: rows whose unit code is not in the unit dimension, or not
    valid on the date the row is about (held by no unit then: a code can have had several
    holders, macro unit_version_join). -#}

with codes as (

    -- A day with dossiers finished but none received checks the code exists only: a unit
    -- abolished in the reorganisation still finishes the dossiers it received before.
    select 'oss' as source, unit_key, case when dossiers_received > 0 then count_date end as as_on
    from {{ ref('stg_oss__daily_counts') }}
    union all
    select 'treasury', investor_unit_key, last_day(make_date(report_year, report_month, 1))
    from {{ ref('stg_treasury__disbursements') }}
    union all
    select 'sipas', unit_key, survey_date from {{ ref('stg_sipas__responses') }}
    union all
    select 'par', unit_key, make_date(score_year, 12, 31) from {{ ref('stg_par__scores') }}

)

select
    codes.source,
    codes.unit_key,
    -- A code held by several units in turn: one name, the same on every engine (any_value
    -- picks whichever row it meets first).
    min(units.unit_name) as unit_name,
    count(*) as data_rows,
    count(*) filter (where units.unit_key is null
                     or codes.as_on < coalesce(units.valid_from, date '0001-01-01')
                     or codes.as_on > coalesce(units.valid_to, date '9999-12-31')) as rows_with_invalid_code
from codes
{{ unit_version_join('codes.unit_key', 'codes.as_on') }}
left join {{ ref('dim_unit') }} as units on units.unit_key = {{ unit_version_key('codes.unit_key') }}
group by all
order by codes.source, codes.unit_key
