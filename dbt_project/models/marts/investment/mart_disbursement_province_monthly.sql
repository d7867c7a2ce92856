{#- The province's disbursement curve, province × year × month: plan, year to date, rate
    against the full plan and the year-end target, the expected cumulative share of the
    month from previous complete years, and the projected December. Amounts in million VND. -#}

with projects as (

    select * from {{ ref('fct_disbursement_monthly') }}

),

monthly as (

    select
        province_code,
        report_year,
        report_month,
        sum(plan_total_mvnd) as plan_total_mvnd,
        sum(plan_pm_assigned_mvnd) as plan_pm_assigned_mvnd,
        sum(disbursed_in_month_mvnd) as disbursed_in_month_mvnd,
        sum(disbursed_ytd_mvnd) as disbursed_ytd_mvnd,
        count(*) as projects_count,
        sum(case when has_report then 0 else 1 end) as projects_missing_report_count,
        sum(case when is_ytd_mismatch then 1 else 0 end) as projects_ytd_mismatch_count
    from projects
    group by province_code, report_year, report_month

),

-- A complete year has a report for each of the 12 months; its curve is the share of
-- its December year to date reached by the end of each month.
complete_years as (

    select province_code, report_year
    from monthly
    group by province_code, report_year
    having count(distinct report_month) = 12
        and max(case when report_month = 12 then disbursed_ytd_mvnd end) > 0

),

year_curves as (

    select
        monthly.province_code,
        monthly.report_year,
        monthly.report_month,
        cast(monthly.disbursed_ytd_mvnd as double)
            / cast(december.disbursed_ytd_mvnd as double) as cumulative_share
    from monthly
    inner join complete_years
        on monthly.province_code = complete_years.province_code
        and monthly.report_year = complete_years.report_year
    inner join monthly as december
        on monthly.province_code = december.province_code
        and monthly.report_year = december.report_year
        and december.report_month = 12

),

-- For each year: the average curve of the complete years before it.
expected_curves as (

    select
        monthly.province_code,
        monthly.report_year,
        monthly.report_month,
        avg(year_curves.cumulative_share) as expected_cumulative_share,
        count(year_curves.report_year) as curve_years_count
    from monthly
    inner join year_curves
        on monthly.province_code = year_curves.province_code
        and monthly.report_month = year_curves.report_month
        and year_curves.report_year < monthly.report_year
    group by monthly.province_code, monthly.report_year, monthly.report_month

),

targets as (

    {{ disbursement_target_lookup("(select province_code, 'province' as peer_group, report_year from monthly)") }}

),

curved as (

    select
        monthly.*,
        year_curves.cumulative_share as actual_cumulative_share,
        coalesce(expected_curves.expected_cumulative_share, monthly.report_month / cast(12 as double)) as expected_cumulative_share,
        case when expected_curves.expected_cumulative_share is null then 'linear' else 'historical_average' end as projection_method,
        coalesce(expected_curves.curve_years_count, 0) as curve_years_count,
        targets.target_pct
    from monthly
    left join year_curves
        on monthly.province_code = year_curves.province_code
        and monthly.report_year = year_curves.report_year
        and monthly.report_month = year_curves.report_month
    left join expected_curves
        on monthly.province_code = expected_curves.province_code
        and monthly.report_year = expected_curves.report_year
        and monthly.report_month = expected_curves.report_month
    left join targets
        on monthly.province_code = targets.province_code
        and monthly.report_year = targets.report_year

),

final as (

    select
        province_code,
        report_year,
        report_month,
        cast(report_year * 100 + report_month as integer) as year_month,
        {{ investment_amount_columns() }},
        projects_count,
        projects_missing_report_count,
        projects_ytd_mismatch_count,
        actual_cumulative_share,
        expected_cumulative_share,
        curve_years_count,
        projection_method,
        {{ investment_projection_columns() }}
    from curved

)

select * from final
