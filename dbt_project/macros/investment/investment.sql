{#- Helpers of the public-investment disbursement marts (models/marts/investment). -#}

{#- The month numbers 1..12 as a relation with one column, month_no: the spine the
    per-project month ranges are cut from. Plain SQL, so it runs on any engine. -#}
{% macro investment_month_numbers() -%}
    {%- for m in range(1, 13) %}
    select {{ m }} as month_no{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The last non-NULL value of column up to the current row of the window: carries a
    project's plan and investor into a month it has no report for. -#}
{% macro investment_carry_forward(column, partition_by, order_by) -%}
    {{ return(adapter.dispatch('investment_carry_forward', 'cchc')(column, partition_by, order_by)) }}
{%- endmacro %}

{% macro spark__investment_carry_forward(column, partition_by, order_by) -%}
    last_value({{ column }}, true) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{% macro default__investment_carry_forward(column, partition_by, order_by) -%}
    last_value({{ column }} ignore nulls) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}

{#- The disbursement target (%) of each province, peer group and year of keys_relation
    (columns province_code, peer_group, report_year): most_specific_target's rule. -#}
{% macro disbursement_target_lookup(keys_relation) -%}
    select province_code, peer_group, target_year as report_year, target_pct
    from (
        {{ most_specific_target("(select '" ~ var("disbursement_target_indicator_code", "disbursement_rate")
            ~ "' as indicator_code, province_code, peer_group, report_year as target_year from " ~ keys_relation ~ " as keys)") }}
    ) as applicable
{%- endmacro %}

{#- The year-end projection columns shared by the investor and province marts: the
    expected rate for the month on the province's curve, the December cumulative projected
    from it, and the gaps to the target (percentage points). Needs target_pct,
    expected_cumulative_share, disbursed_ytd_mvnd and plan_total_mvnd in scope. -#}
{% macro investment_projection_columns() -%}
        target_pct,
        expected_cumulative_share * target_pct as expected_rate_pct,
        cast(disbursed_ytd_mvnd as double) / nullif(expected_cumulative_share, 0) as projected_december_ytd_mvnd,
        {{ pct('cast(disbursed_ytd_mvnd as double) / nullif(expected_cumulative_share, 0)', 'plan_total_mvnd') }} as projected_year_end_rate_pct,
        target_pct - {{ pct('disbursed_ytd_mvnd', 'plan_total_mvnd') }} as gap_to_target_pct,
        target_pct - {{ pct('cast(disbursed_ytd_mvnd as double) / nullif(expected_cumulative_share, 0)', 'plan_total_mvnd') }} as projected_gap_to_target_pct
{%- endmacro %}

{#- Plan, disbursement and the rates against both plans (million VND, %), shared by the
    investor and province marts. -#}
{% macro investment_amount_columns() -%}
        plan_total_mvnd,
        plan_pm_assigned_mvnd,
        disbursed_in_month_mvnd,
        disbursed_ytd_mvnd,
        {{ pct('disbursed_ytd_mvnd', 'plan_total_mvnd') }} as disbursement_rate_pct,
        {{ pct('disbursed_ytd_mvnd', 'plan_pm_assigned_mvnd') }} as disbursement_rate_pm_assigned_pct
{%- endmacro %}
