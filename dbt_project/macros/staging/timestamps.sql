{#- ISO-8601 text with a UTC offset ('2024-03-05T08:15:00+07:00') → naive local TIMESTAMP
    in the project's time zone (var local_time_zone, Asia/Ho_Chi_Minh): the instant is
    kept whatever offset the source wrote, then shown as local wall-clock time.
    NULL stays NULL; text that is not a timestamp fails the model loudly. -#}
{% macro to_local_timestamp(column) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(column) -%}
    cast(cast({{ column }} as timestamp with time zone) at time zone '{{ var("local_time_zone") }}' as timestamp)
{%- endmacro %}

{% macro duckdb__to_local_timestamp(column) -%}
    timezone('{{ var("local_time_zone") }}', cast({{ column }} as timestamptz))
{%- endmacro %}

{#- The profile runs Spark's session in UTC: the text's instant as UTC wall-clock time,
    then as local wall-clock time, without a zone (TIMESTAMP_NTZ, DuckDB's TIMESTAMP). -#}
{% macro spark__to_local_timestamp(column) -%}
    cast(from_utc_timestamp(cast({{ column }} as timestamp_ltz), '{{ var("local_time_zone") }}') as timestamp_ntz)
{%- endmacro %}


{#- ISO date text ('2024-03-05') → DATE. -#}
{% macro to_date(column) -%}
    cast({{ column }} as date)
{%- endmacro %}
