{#- A boolean SQL expression holds on every row (rows where it is NULL fail too, unless
    the expression handles NULL itself). Restrict the rows with the test's `where` config.
    On a column, the expression may refer to the column by name; column_name is unused. -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
