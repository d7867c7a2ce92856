{#- One row per unit in service the day before as_of that has ever received a dossier:
    how many working days it has been silent (no dossier received), and how many dossiers
    its rate over the `quality_history_weeks` before the silence predicts for those days. -#}

{%- set history_days = 7 * var('quality_history_weeks') %}

with working_days as (

    select calendar_date
    from {{ ref('stg_reference__calendar_days') }}
    where is_working_day and calendar_date < {{ as_of_date() }}

),

received_days as (

    select unit_key, count_date, extracted_received as received
    from {{ ref('int_quality__unit_day_counts') }}
    where extracted_received > 0 and count_date < {{ as_of_date() }}

),

last_received as (

    select unit_key, max(count_date) as last_received_date
    from received_days
    group by unit_key

),

rates as (

    select
        last_received.unit_key,
        last_received.last_received_date,
        (select count(*) from working_days
         where calendar_date > last_received.last_received_date) as silent_working_days,
        (select sum(received_days.received) from received_days
         where received_days.unit_key = last_received.unit_key
           and received_days.count_date > last_received.last_received_date - {{ history_days }})
        / greatest(1, (select count(*) from working_days
                       where calendar_date > last_received.last_received_date - {{ history_days }}
                         and calendar_date <= last_received.last_received_date)) as received_per_working_day
    from last_received

)

select
    rates.unit_key,
    units.unit_name,
    rates.last_received_date,
    rates.silent_working_days,
    round(rates.received_per_working_day * rates.silent_working_days, 1) as expected_dossiers,
    -- Silence counts only when the unit's own rate makes it improbable (var
    -- quality_silence_min_expected_dossiers).
    case when rates.received_per_working_day * rates.silent_working_days >= {{ var('quality_silence_min_expected_dossiers') }}
         then rates.silent_working_days else 0 end as unexplained_silent_working_days
from rates
inner join {{ ref('dim_unit') }} as units
    on rates.unit_key = units.unit_key
    and coalesce(units.valid_to, date '9999-12-31') >= {{ as_of_date() }} - 1
order by rates.unit_key
