{#- Stocks per unit × field at each month boundary (the first instant of a month): the
    dossiers open then (received before it, not yet finished, rejected or withdrawn) and
    those of them already past their due time (in progress overdue). A boundary after the
    data's "as of" (the last extraction) is measured at the as-of instant instead. A range
    join: each dossier meets only the boundaries it stays open across. -#}

with dossiers as (

    select unit_key, field_code, received_at, due_at, closed_at
    from {{ ref('fct_dossier') }}

),

as_of as (

    select max(extracted_at) as as_of from {{ ref('fct_dossier') }}

),

boundaries as (

    select
        dates.month_start as boundary_date,
        least(cast(dates.month_start as timestamp), as_of.as_of) as measured_at
    from {{ ref('dim_date') }} as dates
    cross join as_of
    where dates.calendar_date = dates.month_start
      and dates.month_start > (select min(cast(received_at as date)) from dossiers)
      -- up to the end of the current year: later boundaries of open periods are measured at the as-of instant
      and dates.month_start <= {{ period_end(period_start('cast(as_of.as_of as date)', 'year'), 'year') }}

)

select
    dossiers.unit_key,
    dossiers.field_code,
    boundaries.boundary_date,
    count(*) as open_dossiers,
    cast(sum(case when dossiers.due_at < boundaries.measured_at then 1 else 0 end) as bigint) as overdue_dossiers
from boundaries
join dossiers
    on dossiers.received_at < boundaries.measured_at
    and (dossiers.closed_at is null or dossiers.closed_at >= boundaries.measured_at)
group by 1, 2, 3
