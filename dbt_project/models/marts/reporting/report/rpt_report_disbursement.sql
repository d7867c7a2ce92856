{#- Periodic report (cchc report), public investment disbursement: per area, its investor
    units (macro area_scopes) and their total, the plan and the amount disbursed since
    1 January as at the period's last reported month (a month, the last month of a quarter
    or year that has a treasury report), rates recomputed from the sums. -#}
with investors as (

    select
        scopes.area_unit_key,
        i.current_investor_unit_key as unit_key,
        i.report_year,
        i.report_month,
        sum(i.plan_total_mvnd) as plan_total_mvnd,
        sum(i.plan_pm_assigned_mvnd) as plan_pm_assigned_mvnd,
        sum(i.disbursed_in_month_mvnd) as disbursed_in_month_mvnd,
        sum(i.disbursed_ytd_mvnd) as disbursed_ytd_mvnd
    from {{ ref('mart_disbursement_investor_monthly') }} as i
    join {{ area_scopes() }} as scopes
        on scopes.member_unit_key = i.current_investor_unit_key
        and scopes.unit_scope <> 'all'
    group by scopes.area_unit_key, i.current_investor_unit_key, i.report_year, i.report_month

),

with_total as (

    select * from investors
    union all
    select
        area_unit_key,
        null as unit_key,
        report_year,
        report_month,
        sum(plan_total_mvnd),
        sum(plan_pm_assigned_mvnd),
        sum(disbursed_in_month_mvnd),
        sum(disbursed_ytd_mvnd)
    from investors
    group by area_unit_key, report_year, report_month

),

months as (

    select
        *,
        max(report_month) over (
            partition by area_unit_key, report_year, {{ integer_divide("report_month - 1", 3) }}
        ) as last_month_of_quarter,
        max(report_month) over (partition by area_unit_key, report_year) as last_month_of_year
    from with_total

),

periods as (

    select *, 'month' as period_type, make_date(report_year, report_month, 1) as period_start from months
    union all
    select *, 'quarter', make_date(report_year, report_month - (report_month - 1) % 3, 1) from months
    where report_month = last_month_of_quarter
    union all
    select *, 'year', make_date(report_year, 1, 1) from months
    where report_month = last_month_of_year

)

select
    p.area_unit_key,
    p.period_type,
    p.period_start,
    p.report_month as as_of_month,
    coalesce(p.unit_key, p.area_unit_key || ':total') as row_key,
    p.unit_key is null as is_total,
    coalesce(u.unit_name, 'Tổng cộng') as unit_name,
    {{ investment_amount_columns() }}
from periods as p
left join {{ ref('dim_unit') }} as u on u.unit_key = p.unit_key
