{#- Every non-NULL value is a unit key of the reference data: a territorial unit
    (stg_reference__admin_units.unit_key) or a department (stg_reference__departments.
    department_key). A relationships test against the union of the two. -#}
{% test known_unit_key(model, column_name) %}
with known_units as (
    select unit_key from {{ ref('stg_reference__admin_units') }}
    union all
    select department_key as unit_key from {{ ref('stg_reference__departments') }}
)

select tested.{{ column_name }} as unknown_unit_key, count(*) as n_rows
from {{ model }} as tested
left join known_units on tested.{{ column_name }} = known_units.unit_key
where tested.{{ column_name }} is not null
  and known_units.unit_key is null
group by tested.{{ column_name }}
{% endtest %}
