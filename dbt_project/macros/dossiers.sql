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
