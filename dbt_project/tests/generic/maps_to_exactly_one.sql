{#- Every value of column_name maps to exactly one non-NULL value of to_column: no value
    left unmapped, none mapped to two targets (e.g. a PAPI province to one GSO code). -#}
{% test maps_to_exactly_one(model, column_name, to_column) %}
select
    {{ column_name }},
    count(distinct {{ to_column }}) as n_targets,
    count(*) - count({{ to_column }}) as n_unmapped_rows
from {{ model }}
group by {{ column_name }}
having count(distinct {{ to_column }}) <> 1
    or count(*) <> count({{ to_column }})
{% endtest %}
