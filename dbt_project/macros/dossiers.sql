{#- Timeliness of a finished dossier (domain.md §3, "Deadlines"): finished before its due
    date is early (trước hạn); after the due date is late (trễ hạn). Finished ON the due
    date after the due time depends on var due_day_counts_whole_day: true (default) = on
    time, since a deadline set in working days ends at the end of its last day; false =
    late, the appointment's hour being binding. A dossier finished exactly at its due time
    is on time either way. NULL while not finished. The one place timeliness is decided. -#}
{% macro dossier_timeliness(finished_at, due_at) -%}
    case
        when {{ finished_at }} is null then null
        when cast({{ finished_at }} as date) < cast({{ due_at }} as date) then 'early'
        {%- if var('due_day_counts_whole_day') %}
        when cast({{ finished_at }} as date) = cast({{ due_at }} as date) then 'on_time'
        {%- else %}
        when {{ finished_at }} <= {{ due_at }} then 'on_time'
        {%- endif %}
        else 'late'
    end
{%- endmacro %}

{#- Whether an open dossier is overdue (quá hạn) at the instant `at` (domain.md §3,
    "Waiting for the applicant"): past its due time and neither waiting for the
    applicant's supplementary papers (chờ bổ sung) nor suspended (tạm dừng) at that
    instant, the waiting time not counting towards the deadline. `d` is the alias of a
    relation with the dossier's due_at and its waiting intervals (fct_dossier). The one
    definition of "overdue": every count of overdue dossiers uses it. -#}
{% macro dossier_is_overdue(d, at) -%}
    (
        {{ d }}.due_at < {{ at }}
        and not {{ dossier_is_waiting_for_applicant(d, at) }}
    )
{%- endmacro %}

{#- Waiting for the applicant at the instant `at`: supplementary papers requested and not
    yet received, or handling suspended and not yet resumed (never NULL: a dossier never
    asked for papers is not waiting). -#}
{% macro dossier_is_waiting_for_applicant(d, at) -%}
    (
        coalesce({{ d }}.supplement_requested_at <= {{ at }}
                 and ({{ d }}.supplement_received_at is null or {{ d }}.supplement_received_at > {{ at }}), false)
        or coalesce({{ d }}.suspended_at <= {{ at }}
                    and ({{ d }}.resumed_at is null or {{ d }}.resumed_at > {{ at }}), false)
    )
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

{% macro spark__format_date_vi(column) -%}
    date_format({{ column }}, 'dd/MM/yyyy')
{%- endmacro %}

{#- A month as Vietnamese readers write it: mm/yyyy. -#}
{% macro format_month_vi(column) -%}
    {{ return(adapter.dispatch('format_month_vi', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__format_month_vi(column) -%}
    strftime({{ column }}, '%m/%Y')
{%- endmacro %}

{% macro spark__format_month_vi(column) -%}
    date_format({{ column }}, 'MM/yyyy')
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

{#- The flows counted per period in fct_dossier_kpi_flows: (column, date it is counted on,
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
    cast(cast({{ year_column }} as string) || '-01-01' as date)
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

{#- The reporting period's last day (var report_period_end) as a SQL date, or none. -#}
{% macro report_period_end() -%}
    {%- set day = var('report_period_end') -%}
    {{ return(none if day is none or day == '' else "cast('" ~ day ~ "' as date)") }}
{%- endmacro %}

{#- The instant counting stops at: the data's as-of instant `as_of`, or the end of the
    reporting period's last day when var report_period_end is earlier. -#}
{% macro counted_until(as_of) -%}
    {%- if report_period_end() is none -%}
    {{ as_of }}
    {%- else -%}
    least({{ as_of }}, cast({{ report_period_end() }} + 1 as timestamp))
    {%- endif -%}
{%- endmacro %}

{#- The relation name of an incremental KPI model: its own name, or, for a build with a
    reporting period end, the name suffixed with that day (a separate, fully rebuilt table),
    so the incremental state of the nightly tables survives a report's build. Everything
    downstream (the marts, reporting) is rebuilt with the report's figures under its usual
    name: a report is built on a copy of the warehouse, never the nightly one (domain.md §3). -#}
{% macro kpi_relation_alias(name) -%}
    {%- set day = var('report_period_end') -%}
    {{ return(name if day is none or day == '' else name ~ '__to_' ~ (day | string | replace('-', ''))) }}
{%- endmacro %}
