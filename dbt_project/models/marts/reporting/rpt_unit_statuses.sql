{#- Dataset rpt_unit_statuses: the values of the dashboards' unit status filter (macro
    unit_status), the units in force first: the filter opens on them. -#}
select
    label_vi as unit_status,
    code = 'active' as is_active_unit,
    cast(case when code = 'active' then 1 else 2 end as bigint) as status_order
from {{ ref('reporting_labels') }}
where label_set = 'unit_status'
