{#- The investor rows of a province-month add up to the province row: plans and year to
    date (million VND, exact decimals) and projects count. Returns the months that differ. -#}

with investor_totals as (

    select
        province_code,
        report_year,
        report_month,
        sum(plan_total_mvnd) as plan_total_mvnd,
        sum(disbursed_ytd_mvnd) as disbursed_ytd_mvnd,
        sum(projects_count) as projects_count
    from {{ ref('mart_disbursement_investor_monthly') }}
    group by province_code, report_year, report_month

)

select
    province.province_code,
    province.report_year,
    province.report_month,
    province.disbursed_ytd_mvnd as province_ytd_mvnd,
    investor_totals.disbursed_ytd_mvnd as investor_ytd_mvnd
from {{ ref('mart_disbursement_province_monthly') }} as province
full outer join investor_totals
    on province.province_code = investor_totals.province_code
    and province.report_year = investor_totals.report_year
    and province.report_month = investor_totals.report_month
where province.province_code is null
    or investor_totals.province_code is null
    or province.plan_total_mvnd <> investor_totals.plan_total_mvnd
    or province.disbursed_ytd_mvnd <> investor_totals.disbursed_ytd_mvnd
    or province.projects_count <> investor_totals.projects_count
