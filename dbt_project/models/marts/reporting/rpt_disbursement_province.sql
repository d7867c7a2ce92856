{#- Dataset rpt_disbursement_province: province-wide disbursement, year to date, monthly. -#}
select
    make_date(report_year, report_month, 1) as period_start,
    report_year as year,
    report_month as month,
    {{ month_label('make_date(report_year, report_month, 1)') }} as month_label,
    disbursement_rate_pct / 100 as disbursed_share,
    expected_rate_pct / 100 as expected_share,
    target_pct / 100 as target_share,
    cast(disbursed_ytd_mvnd as double) as disbursed_ytd_mvnd,
    cast(plan_total_mvnd as double) as plan_total_mvnd
from {{ ref('mart_disbursement_province_monthly') }}
