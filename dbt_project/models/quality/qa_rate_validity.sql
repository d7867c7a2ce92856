{#- Per unit: the lowest and highest percentage it shows in the dossier KPI, PAR INDEX and
    SIPAS marts (every one must lie within 0-100). -#}

with rates as (

    select unit_key, rates.rate
    from {{ ref('mart_dossier_kpis_unit') }}
    cross join lateral (values (on_time_rate_a), (on_time_rate_b), (online_share),
                               (input_digitisation_rate), (reuse_rate), (output_digitisation_rate),
                               (online_payment_rate)) as rates (rate)
    union all
    select unit_key, index_pct from {{ ref('mart_par_index') }}
    union all
    select unit_key, sipas_pct from {{ ref('mart_sipas_index') }}

)

select
    rates.unit_key,
    any_value(units.unit_name) as unit_name,
    min(rates.rate) as lowest_pct,
    max(rates.rate) as highest_pct
from rates
left join {{ ref('dim_unit') }} as units on rates.unit_key = units.unit_key
where rates.rate is not null
group by rates.unit_key
order by rates.unit_key
