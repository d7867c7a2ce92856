{#- Dataset rpt_disbursement_projects: each project at the last reported month of its year. -#}
select
    f.report_year as year,
    f.report_month as month,
    f.project_code,
    f.project_name,
    f.current_investor_unit_key as unit_key,
    coalesce(u.unit_name, f.investor_name) as unit_name,
    {{ label_vi('peer_group', 'u.peer_group') }} as peer_group,
    cast(f.plan_total_mvnd as double) as plan_total_mvnd,
    cast(f.disbursed_ytd_mvnd as double) as disbursed_ytd_mvnd,
    f.disbursement_rate_pct / 100 as disbursed_share
from {{ ref('fct_disbursement_monthly') }} as f
left join {{ ref('dim_unit') }} as u on u.unit_key = f.current_investor_unit_key
where f.is_last_report_month
