{#- Flows per unit × field × period (month and year): what was received, finished,
    rejected, withdrawn and apologised for in the period, each counted on its own date.
    Counts only; rates are computed where counts meet (mart_dossier_kpis). -#}

{%- set measures = dossier_flow_measures() -%}
{%- set event_dates = ['received_date', 'finished_date', 'rejected_date', 'withdrawn_date', 'apology_letter_date'] -%}

with dossiers as (

    select
        *,
        cast(rejected_at as date) as rejected_date,
        cast(withdrawn_at as date) as withdrawn_date,
        cast(apology_letter_at as date) as apology_letter_date
    from {{ ref('fct_dossier') }}

),

events as (
    {%- for event_date in event_dates %}
    select
        unit_key,
        field_code,
        {{ event_date }} as event_date
        {%- for name, measure_date, condition in measures %},
        {% if measure_date == event_date -%}
        case when {{ condition }} then 1 else 0 end
        {%- else -%}
        0
        {%- endif %} as {{ name }}
        {%- endfor %}
    from dossiers
    where {{ event_date }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

{% for grain in ['month', 'year'] %}
select
    unit_key,
    field_code,
    '{{ grain }}' as period_type,
    {{ period_start('event_date', grain) }} as period_start
    {%- for name, _, _ in measures %},
    cast(sum({{ name }}) as bigint) as {{ name }}
    {%- endfor %}
from events
group by 1, 2, 3, 4
{% if not loop.last %}union all{% endif %}
{%- endfor %}
