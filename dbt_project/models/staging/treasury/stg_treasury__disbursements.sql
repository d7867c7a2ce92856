{#- Monthly public-investment disbursement per project, one row per province × report
    year × month × project (the report's natural key). A row loaded twice (a corrected
    file, or the same project in two files) keeps the latest load. Amounts in million
    VND (triệu đồng). -#}

with source as (

    select * from {{ source('treasury', 'treasury_disbursement') }}

),

latest as (

    select
        -- keys
        source.province_code,
        cast(source.report_year as integer) as report_year,
        cast(source.report_month as integer) as report_month,
        {{ clean_text('source.project_code') }} as project_code,

        -- project and investor
        {{ clean_text('source.project_name') }} as project_name,
        {{ clean_text('source.investor_code') }} as investor_unit_key,
        {{ clean_text('source.investor_name') }} as investor_name,
        source.stt as report_line_no,

        -- amounts, million VND
        cast(source.plan_total as decimal(18, 3)) as plan_total_mvnd,
        cast(source.plan_pm_assigned as decimal(18, 3)) as plan_pm_assigned_mvnd,
        cast(source.disbursed_month as decimal(18, 3)) as disbursed_in_month_mvnd,
        cast(source.disbursed_ytd as decimal(18, 3)) as disbursed_ytd_mvnd,
        cast(source.disbursement_rate_pct as decimal(9, 2)) as disbursement_rate_pct,

        -- lineage
        {{ file_row_lineage('source') }}

    from source
    {{ latest_file_row_per_key(['source.province_code', 'source.report_year', 'source.report_month', 'source.project_code']) }}

)

select * from latest
