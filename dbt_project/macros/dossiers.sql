{#- Timeliness of a finished dossier (domain.md §3): finished before its due date is
    early (trước hạn); on the due date and no later than the due time is on time (đúng
    hạn), so a dossier finished exactly at its due time is on time; after it is late
    (trễ hạn). NULL while not finished. -#}
{% macro dossier_timeliness(finished_at, due_at) -%}
    case
        when {{ finished_at }} is null then null
        when cast({{ finished_at }} as date) < cast({{ due_at }} as date) then 'early'
        when {{ finished_at }} <= {{ due_at }} then 'on_time'
        else 'late'
    end
{%- endmacro %}

{#- First day of the date's month. -#}
{% macro month_start(column) -%}
    {{ return(adapter.dispatch('month_start', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__month_start(column) -%}
    cast(date_trunc('month', {{ column }}) as date)
{%- endmacro %}

{#- A date as Vietnamese readers write it: dd/mm/yyyy. -#}
{% macro format_date_vi(column) -%}
    {{ return(adapter.dispatch('format_date_vi', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__format_date_vi(column) -%}
    strftime({{ column }}, '%d/%m/%Y')
{%- endmacro %}

{#- First day of the period of a date: grain 'month' or 'year'. -#}
{% macro period_start(column, grain) -%}
    {{ return(adapter.dispatch('period_start', 'cchc')(column, grain)) }}
{%- endmacro %}

{% macro default__period_start(column, grain) -%}
    cast(date_trunc('{{ grain }}', {{ column }}) as date)
{%- endmacro %}

{#- First day of the next period. -#}
{% macro period_end(period_start_column, grain) -%}
    {{ return(adapter.dispatch('period_end', 'cchc')(period_start_column, grain)) }}
{%- endmacro %}

{% macro default__period_end(period_start_column, grain) -%}
    cast({{ period_start_column }} + interval 1 {{ grain }} as date)
{%- endmacro %}


{#- The dossier KPI rates from the counts of mart_dossier_kpis (any grain). -#}
{% macro dossier_kpi_rates() -%}
    {{ pct('finished_early + finished_on_time', 'finished_total') }} as on_time_rate_a,
    100.0 - {{ pct('finished_late + in_progress_overdue_at_end', 'received_total + carried_over') }} as on_time_rate_b,
    {% if var('on_time_convention') == 'b' -%}
    100.0 - {{ pct('finished_late + in_progress_overdue_at_end', 'received_total + carried_over') }}
    {%- else -%}
    {{ pct('finished_early + finished_on_time', 'finished_total') }}
    {%- endif %} as on_time_rate,
    {{ pct('received_toan_trinh + received_mot_phan', 'received_total') }} as online_share,
    {{ pct('input_digitised', 'digitisation_tracked_received') }} as input_digitisation_rate,
    {{ pct('reused_digitised_data', 'digitisation_tracked_received') }} as reuse_rate,
    {{ pct('output_digitised', 'digitisation_tracked_finished') }} as output_digitisation_rate,
    {{ pct('paid_online', 'fee_bearing_received') }} as online_payment_rate
{%- endmacro %}

{#- The flows counted per period in int_dossier_kpis__flows: (column, date it is counted on,
    condition). One list, so the flows model and the KPI mart cannot drift apart.
    Digitisation is measured on the dossiers received / finished since the province began
    tracking it (var digitisation_tracking_start, 01/06/2022 in the Tứ Kỳ report), so
    earlier months do not dilute the rates. -#}
{% macro dossier_flow_measures() -%}
    {%- set tracked_received = "received_date >= cast('" ~ var('digitisation_tracking_start') ~ "' as date)" -%}
    {%- set tracked_finished = "finished_date >= cast('" ~ var('digitisation_tracking_start') ~ "' as date)" -%}
    {{ return([
    ('received_total', 'received_date', 'true'),
    ('received_in_person', 'received_date', "channel_group = 'truc_tiep'"),
    ('received_toan_trinh', 'received_date', "channel_group = 'toan_trinh'"),
    ('received_mot_phan', 'received_date', "channel_group = 'mot_phan'"),
    ('received_bcci', 'received_date', "channel_group = 'bcci'"),
    ('digitisation_tracked_received', 'received_date', tracked_received),
    ('input_digitised', 'received_date', 'is_input_digitised and ' ~ tracked_received),
    ('reused_digitised_data', 'received_date', 'is_reused_digitised_data and ' ~ tracked_received),
    ('fee_bearing_received', 'received_date', 'is_fee_bearing'),
    ('paid_online', 'received_date', 'is_fee_bearing and is_paid_online'),
    ('online_form_received', 'received_date', "online_form <> 'none'"),
    ('finished_total', 'finished_date', 'true'),
    ('finished_early', 'finished_date', "timeliness = 'early'"),
    ('finished_on_time', 'finished_date', "timeliness = 'on_time'"),
    ('finished_late', 'finished_date', "timeliness = 'late'"),
    ('digitisation_tracked_finished', 'finished_date', tracked_finished),
    ('output_digitised', 'finished_date', 'is_output_digitised and ' ~ tracked_finished),
    ('finished_late_with_apology', 'finished_date', "timeliness = 'late' and has_apology_letter"),
    ('rejected', 'rejected_date', 'true'),
    ('withdrawn', 'withdrawn_date', 'true'),
    ('apology_letters', 'apology_letter_date', 'true'),
]) }}
{%- endmacro %}

{#- 1 January of a year given as a number. -#}
{% macro year_start(year_column) -%}
    cast(cast({{ year_column }} as varchar) || '-01-01' as date)
{%- endmacro %}

{#- First day of the period before: the previous month or year. -#}
{% macro previous_period_start(period_start_column, period_type_column) -%}
    case {{ period_type_column }}
        when 'month' then cast({{ period_start_column }} - interval 1 month as date)
        else cast({{ period_start_column }} - interval 1 year as date)
    end
{%- endmacro %}

{#- Every count column of the dossier KPI marts: the flows and the stocks. -#}
{% macro dossier_kpi_count_columns() -%}
    {{ return(dossier_flow_measures() | map(attribute=0) | list
              + ['carried_over', 'in_progress_at_end', 'in_progress_overdue_at_end']) }}
{%- endmacro %}

{#- A dossier KPI mart rolled up to `group_columns` from a relation or CTE with the count
    columns: counts summed, every rate recomputed from the sums (never averaged). -#}
{% macro dossier_kpis_rollup(relation, group_columns) -%}
select
    *,
    {{ dossier_kpi_rates() }}
from (
    select
        {{ group_columns | join(',\n        ') }}
        {%- for name in dossier_kpi_count_columns() %},
        sum({{ name }}) as {{ name }}
        {%- endfor %}
    from {{ relation }}
    group by {{ group_columns | join(', ') }}
) as summed
{%- endmacro %}
