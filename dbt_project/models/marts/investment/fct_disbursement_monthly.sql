{#- Public-investment disbursement per project × year × month (domain.md §8), amounts in
    million VND. The months of a project-year run from its first to its last reported
    month; a month in between without a report is a row with has_report = false (plan and
    investor carried from the previous report, amounts of the month unknown). -#}

with reports as (

    select * from {{ ref('stg_treasury__disbursements') }}

),

project_years as (

    select
        province_code,
        project_code,
        report_year,
        min(report_month) as first_report_month,
        max(report_month) as last_report_month
    from reports
    group by province_code, project_code, report_year

),

month_numbers as (

    {{ investment_month_numbers() }}

),

spine as (

    select
        project_years.province_code,
        project_years.project_code,
        project_years.report_year,
        month_numbers.month_no as report_month,
        project_years.first_report_month,
        project_years.last_report_month
    from project_years
    inner join month_numbers
        on month_numbers.month_no between project_years.first_report_month and project_years.last_report_month

),

spined as (

    select
        spine.province_code,
        spine.project_code,
        spine.report_year,
        spine.report_month,
        spine.first_report_month,
        spine.last_report_month,
        reports.project_code is not null as has_report,
        reports.project_name,
        reports.investor_unit_key,
        reports.investor_name,
        reports.plan_total_mvnd,
        reports.plan_pm_assigned_mvnd,
        reports.disbursed_in_month_mvnd,
        reports.disbursed_ytd_mvnd as disbursed_ytd_reported_mvnd,
        reports.disbursement_rate_pct as disbursement_rate_reported_pct,
        reports.source_file
    from spine
    left join reports
        on spine.province_code = reports.province_code
        and spine.project_code = reports.project_code
        and spine.report_year = reports.report_year
        and spine.report_month = reports.report_month

),

filled as (

    {%- set project_year = 'province_code, project_code, report_year' %}
    select
        province_code,
        project_code,
        report_year,
        report_month,
        first_report_month,
        last_report_month,
        has_report,
        {{ investment_carry_forward('project_name', project_year, 'report_month') }} as project_name,
        {{ investment_carry_forward('investor_unit_key', project_year, 'report_month') }} as investor_unit_key,
        {{ investment_carry_forward('investor_name', project_year, 'report_month') }} as investor_name,
        {{ investment_carry_forward('plan_total_mvnd', project_year, 'report_month') }} as plan_total_mvnd,
        {{ investment_carry_forward('plan_pm_assigned_mvnd', project_year, 'report_month') }} as plan_pm_assigned_mvnd,
        disbursed_in_month_mvnd,
        disbursed_ytd_reported_mvnd,
        disbursement_rate_reported_pct,
        -- Year to date from the monthly amounts of the reported months in the spine.
        sum(coalesce(disbursed_in_month_mvnd, 0)) over (
            partition by {{ project_year }} order by report_month
            rows between unbounded preceding and current row
        ) as disbursed_ytd_recomputed_mvnd,
        source_file
    from spined

),

-- The investor today: itself while it exists, else its default successor in the
-- reorganisation lineage, followed until a unit that exists (departments 01/03/2025,
-- communes and provinces 01/07/2025; a chain has at most a few steps).
investors as (

    select distinct investor_unit_key from filled

),

successor_chain as (

    {%- set max_steps = var('investment_lineage_max_steps', 5) %}
    select
        investors.investor_unit_key,
        investors.investor_unit_key as unit_key,
        0 as step_no
    from investors

    {%- for step in range(1, max_steps + 1) %}
    union all
    select
        investors.investor_unit_key,
        l{{ step }}.successor_unit_key as unit_key,
        {{ step }} as step_no
    from investors
    {%- for s in range(1, step + 1) %}
    inner join {{ ref('dim_unit_lineage') }} as l{{ s }}
        on l{{ s }}.predecessor_unit_key = {% if s == 1 %}investors.investor_unit_key{% else %}l{{ s - 1 }}.successor_unit_key{% endif %}
        and l{{ s }}.is_default_successor
    {%- endfor %}
    {%- endfor %}

),

current_investors as (

    select
        investor_unit_key,
        unit_key as current_investor_unit_key,
        step_no
    from (
        select
            successor_chain.investor_unit_key,
            successor_chain.unit_key,
            successor_chain.step_no,
            row_number() over (
                partition by successor_chain.investor_unit_key order by successor_chain.step_no
            ) as step_rank
        from successor_chain
        inner join {{ ref('dim_unit') }} as units
            on successor_chain.unit_key = units.unit_key
            and units.is_current
    ) as reachable
    where step_rank = 1

),

final as (

    select
        -- keys
        filled.province_code,
        filled.project_code,
        filled.report_year,
        filled.report_month,
        cast(filled.report_year * 100 + filled.report_month as integer) as year_month,
        filled.project_name,

        -- investor as reported, and the unit that carries it today
        filled.investor_unit_key,
        filled.investor_name,
        current_investors.current_investor_unit_key,
        case
            when current_investors.step_no = 0 then 'as_reported'
            when current_investors.step_no > 0 then 'default_successor'
            else 'unresolved'
        end as current_investor_resolution,

        -- completeness
        filled.has_report,
        filled.report_month = filled.first_report_month as is_first_report_month,
        filled.report_month = filled.last_report_month as is_last_report_month,

        -- plan of the year, million VND
        filled.plan_total_mvnd,
        filled.plan_pm_assigned_mvnd,

        -- disbursement, million VND
        filled.disbursed_in_month_mvnd,
        filled.disbursed_ytd_reported_mvnd,
        filled.disbursed_ytd_recomputed_mvnd,
        coalesce(filled.disbursed_ytd_reported_mvnd, filled.disbursed_ytd_recomputed_mvnd) as disbursed_ytd_mvnd,
        filled.disbursed_ytd_reported_mvnd is not null
            and abs(filled.disbursed_ytd_reported_mvnd - filled.disbursed_ytd_recomputed_mvnd)
                > {{ var('investment_ytd_tolerance_mvnd', 0.001) }} as is_ytd_mismatch,
        filled.disbursed_ytd_reported_mvnd - filled.disbursed_ytd_recomputed_mvnd as ytd_difference_mvnd,

        -- rates, % at full precision
        {{ pct('coalesce(filled.disbursed_ytd_reported_mvnd, filled.disbursed_ytd_recomputed_mvnd)', 'filled.plan_total_mvnd') }} as disbursement_rate_pct,
        {{ pct('coalesce(filled.disbursed_ytd_reported_mvnd, filled.disbursed_ytd_recomputed_mvnd)', 'filled.plan_pm_assigned_mvnd') }} as disbursement_rate_pm_assigned_pct,
        filled.disbursement_rate_reported_pct,

        -- lineage
        filled.source_file

    from filled
    left join current_investors
        on filled.investor_unit_key = current_investors.investor_unit_key

)

select * from final
