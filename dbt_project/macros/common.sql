{#- numerator ÷ denominator × 100 in DOUBLE, NULL when the denominator is 0: every rate in
    the marts is a percentage at full precision (dashboards round for display). -#}
{% macro pct(numerator, denominator) -%}
    cast(({{ numerator }}) as double) * 100 / nullif(cast(({{ denominator }}) as double), 0)
{%- endmacro %}

{#- a = b, where two NULLs are equal (SQL's IS NOT DISTINCT FROM): written as plain
    comparisons so every engine (and sqlfluff's parser) reads it. -#}
{% macro null_safe_equal(left, right) -%}
    coalesce({{ left }} = {{ right }}, {{ left }} is null and {{ right }} is null)
{%- endmacro %}


{#- Integer division (truncated toward zero for the non-negative operands it is used on):
    DuckDB's `//`, Spark's `div`; both return an integer type. -#}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'cchc')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}


{#- The continuous (interpolated) quantile `fraction` of a column, as an aggregate or over a
    window: DuckDB's quantile_cont, Spark's percentile (exact, interpolated the same way). -#}
{% macro quantile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('quantile_cont', 'cchc')(column, fraction)) }}
{%- endmacro %}

{% macro default__quantile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}
