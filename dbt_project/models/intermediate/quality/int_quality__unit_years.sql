{#- Per unit × calendar year: the units in existence on 31/12 of the year, i.e. those the
    yearly appraisals (PAR INDEX) and surveys (SIPAS) cover for that year. Read by the
    data-quality suites to know which units a yearly file must contain. -#}

with years as (

    select distinct calendar_year
    from {{ ref('stg_reference__calendar_days') }}

),

final as (

    select
        units.unit_key,
        years.calendar_year,
        units.unit_name,
        units.province_code,
        units.peer_group
    from {{ ref('int_units__unified') }} as units
    inner join years
        on coalesce(units.valid_from, date '0001-01-01') <= make_date(years.calendar_year, 12, 31)
        and coalesce(units.valid_to, date '9999-12-31') >= make_date(years.calendar_year, 12, 31)

)

select * from final
