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
