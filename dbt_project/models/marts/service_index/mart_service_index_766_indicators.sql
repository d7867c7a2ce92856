{#- The sub-indicators of the service index of Quyết định 766/QĐ-TTg per unit × period:
    rate (%), weight and maximum points from the seed service_index_766_indicators, points
    = group max × weight × rate ÷ 100. An indicator without a denominator in the period
    (e.g. no fee-bearing dossier) has no rate and no points, and is left out of the unit's
    available maximum (see mart_service_index_766). -#}

with kpis as (

    select * from {{ ref('mart_dossier_kpis_unit') }}

),

feedback as (

    select * from {{ ref('stg_oss__feedback') }}

),

{% set grains = ['month', 'year'] %}
feedback_rates as (
    {%- for grain in grains %}
    select
        unit_key,
        '{{ grain }}' as period_type,
        {{ period_start('cast(received_at as date)', grain) }} as period_start,
        {{ pct("sum(case when handled_at <= due_at then 1 else 0 end)", 'count(*)') }} as feedback_on_time_rate,
        {{ pct("sum(case when is_satisfied then 1 else 0 end)",
               "sum(case when is_satisfied is not null then 1 else 0 end)") }} as satisfaction_rate
    from feedback
    group by 1, 2, 3
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rates as (

    select
        kpis.unit_key,
        kpis.period_type,
        kpis.period_start,
        {{ pct('kpis.online_form_received', 'kpis.received_total') }} as online_procedure_share,
        {{ pct('kpis.finished_late_with_apology', 'kpis.finished_late') }} as apology_letter_rate,
        kpis.on_time_rate,
        100.0 - {{ pct('kpis.in_progress_overdue_at_end', 'kpis.in_progress_at_end') }} as not_overdue_in_progress_rate,
        kpis.input_digitisation_rate,
        kpis.reuse_rate,
        kpis.output_digitisation_rate,
        kpis.online_share,
        kpis.online_payment_rate,
        feedback_rates.feedback_on_time_rate,
        feedback_rates.satisfaction_rate
    from kpis
    left join feedback_rates
        on feedback_rates.unit_key = kpis.unit_key
        and feedback_rates.period_type = kpis.period_type
        and feedback_rates.period_start = kpis.period_start

),

indicators as (

    select * from {{ ref('service_index_766_indicators') }}

),

long as (
    {%- for indicator in ['online_procedure_share', 'apology_letter_rate', 'on_time_rate',
                          'not_overdue_in_progress_rate', 'input_digitisation_rate', 'reuse_rate',
                          'output_digitisation_rate', 'online_share', 'online_payment_rate',
                          'feedback_on_time_rate', 'satisfaction_rate'] %}
    select unit_key, period_type, period_start, '{{ indicator }}' as indicator_code, {{ indicator }} as rate
    from rates
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    long.unit_key,
    long.period_type,
    long.period_start,
    indicators.group_code,
    indicators.group_number,
    indicators.group_name,
    long.indicator_code,
    indicators.indicator_name,
    indicators.is_proxy,
    long.rate,
    indicators.group_max_points * indicators.weight_in_group as max_points,
    indicators.group_max_points * indicators.weight_in_group * long.rate / cast(100 as double) as points
from long
join indicators using (indicator_code)
