{#- Yesterday's received dossiers per unit in service, against a band learned from the
    same weekday over the previous `quality_history_weeks` weeks: mean ± z·sqrt(mean) + slack. -#}

{%- set weeks = var('quality_history_weeks') %}
{%- set z, slack = var('quality_volume_z'), var('quality_volume_slack') %}

with history as (

    select
        units.unit_key,
        units.unit_name,
        weeks.week_no,
        coalesce(counts.extracted_received, 0) as received
    from {{ ref('dim_unit') }} as units
    cross join (select cast(range as integer) as week_no from range(0, {{ weeks }} + 1)) as weeks
    left join {{ ref('int_quality__unit_day_counts') }} as counts
        on counts.unit_key = units.unit_key
        and counts.count_date = {{ as_of_date() }} - 1 - 7 * weeks.week_no
    where coalesce(units.valid_from, date '0001-01-01') <= {{ as_of_date() }} - 1 - 7 * {{ weeks }}
      and coalesce(units.valid_to, date '9999-12-31') >= {{ as_of_date() }} - 1
      and units.unit_key in (select distinct unit_key from {{ ref('int_quality__unit_day_counts') }}
                             where count_date >= {{ as_of_date() }} - 7 * {{ weeks }})

),

bands as (

    select
        unit_key,
        any_value(unit_name) as unit_name,
        max(received) filter (where week_no = 0) as received,
        avg(received) filter (where week_no > 0) as weekday_mean
    from history
    group by unit_key

)

select
    unit_key,
    unit_name,
    {{ as_of_date() }} - 1 as count_date,
    received,
    round(weekday_mean, 2) as weekday_mean,
    greatest(0, round(weekday_mean - {{ z }} * sqrt(weekday_mean) - {{ slack }}, 2)) as band_low,
    round(weekday_mean + {{ z }} * sqrt(weekday_mean) + {{ slack }}, 2) as band_high,
    received < weekday_mean - {{ z }} * sqrt(weekday_mean) - {{ slack }}
        or received > weekday_mean + {{ z }} * sqrt(weekday_mean) + {{ slack }} as is_outside_band
from bands
order by unit_key
