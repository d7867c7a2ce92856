{#- Lowest answer on the SIPAS 5-point scale that counts as satisfied (4 = hài lòng,
    5 = rất hài lòng; the Bộ Nội vụ method counts both). Override with the project var
    sipas_satisfied_min_answer. -#}
{% macro sipas_satisfied_min_answer() -%}
    {{ return(var('sipas_satisfied_min_answer', 4)) }}
{%- endmacro %}
