{#- Disbursement per investor unit (as reported) × year × month, with the year-end
    projection from the province's expected curve (see mart_disbursement_province_monthly)
    and the gap to the disbursement target. Amounts in million VND. -#}

with projects as (

    select * from {{ ref('fct_disbursement_monthly') }}

),

province_curve as (

    select
        province_code,
        report_year,
        report_month,
        expected_cumulative_share,
        projection_method,
        curve_years_count
    from {{ ref('mart_disbursement_province_monthly') }}

),

units as (

    select unit_key, peer_group from {{ ref('dim_unit') }}

),

project_targets as (

    {{ disbursement_target_lookup("(select projects.province_code, units.peer_group, projects.report_year from " ~ ref('fct_disbursement_monthly') ~ " as projects left join " ~ ref('dim_unit') ~ " as units on projects.investor_unit_key = units.unit_key)") }}

),

projects_on_curve as (

    select
        projects.*,
        units.peer_group,
        province_curve.expected_cumulative_share,
        province_curve.projection_method,
        province_curve.curve_years_count,
        project_targets.target_pct,
        province_curve.expected_cumulative_share * project_targets.target_pct as expected_rate_pct
    from projects
    left join units
        on projects.investor_unit_key = units.unit_key
    left join province_curve
        on projects.province_code = province_curve.province_code
        and projects.report_year = province_curve.report_year
        and projects.report_month = province_curve.report_month
    left join project_targets
        on projects.province_code = project_targets.province_code
        and projects.report_year = project_targets.report_year
        and {{ null_safe_equal('units.peer_group', 'project_targets.peer_group') }}

),

investor_monthly as (

    select
        province_code,
        investor_unit_key,
        report_year,
        report_month,
        max(current_investor_unit_key) as current_investor_unit_key,
        max(peer_group) as peer_group,
        sum(plan_total_mvnd) as plan_total_mvnd,
        sum(plan_pm_assigned_mvnd) as plan_pm_assigned_mvnd,
        sum(disbursed_in_month_mvnd) as disbursed_in_month_mvnd,
        sum(disbursed_ytd_mvnd) as disbursed_ytd_mvnd,
        count(*) as projects_count,
        sum(case when disbursement_rate_pct < expected_rate_pct then 1 else 0 end) as projects_below_curve_count,
        sum(case when has_report then 0 else 1 end) as projects_missing_report_count,
        sum(case when is_ytd_mismatch then 1 else 0 end) as projects_ytd_mismatch_count,
        max(expected_cumulative_share) as expected_cumulative_share,
        max(projection_method) as projection_method,
        max(curve_years_count) as curve_years_count,
        max(target_pct) as target_pct
    from projects_on_curve
    group by province_code, investor_unit_key, report_year, report_month

),

quarantined as (

    select * from {{ ref('int_quality__quarantined_rows') }}
    where source = 'treasury'

),

final as (

    select
        province_code,
        investor_unit_key,
        report_year,
        report_month,
        cast(report_year * 100 + report_month as integer) as year_month,
        current_investor_unit_key,
        peer_group,
        {{ investment_amount_columns() }},
        projects_count,
        projects_below_curve_count,
        projects_missing_report_count,
        projects_ytd_mismatch_count,
        expected_cumulative_share,
        projection_method,
        curve_years_count,
        {{ investment_projection_columns() }},
        -- project rows of the investor the loader held back from that month's report
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        coalesce(quarantined.quarantined_rows, 0) = 0 as is_complete
    from investor_monthly
    left join quarantined
        on quarantined.unit_key = investor_monthly.investor_unit_key
        and quarantined.period_year = investor_monthly.report_year
        and quarantined.period_month = investor_monthly.report_month

)

select * from final
