{#- Dataset rpt_disbursement_units: disbursement per investor (unit) and month. -#}
select
    make_date(m.report_year, m.report_month, 1) as period_start,
    m.report_year as year,
    m.report_month as month,
    {{ month_label('make_date(m.report_year, m.report_month, 1)') }} as month_label,
    m.investor_unit_key,
    m.current_investor_unit_key as unit_key,
    coalesce(u.unit_name, m.current_investor_unit_key) as unit_name,
    {{ label_vi('peer_group', 'm.peer_group') }} as peer_group,
    m.disbursement_rate_pct / 100 as disbursed_share,
    m.expected_rate_pct / 100 as expected_share,
    m.gap_to_target_pct / 100 as gap_share,
    m.projects_count,
    cast(m.projects_below_curve_count as bigint) as projects_below_curve_count
from {{ ref('mart_disbursement_investor_monthly') }} as m
left join {{ ref('dim_unit') }} as u on u.unit_key = m.current_investor_unit_key
