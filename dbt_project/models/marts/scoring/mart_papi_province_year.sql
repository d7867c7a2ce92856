{#- PAPI per province × year (domain.md §7, §11). Dimensions stay NULL where they did not
    exist (D7, D8 before 2018): never 0. aggregate_score is the unweighted sum of the
    dimensions when the province has all the dimensions of its year (NULL when it was not
    or only partly surveyed, so it is not ranked); national_rank is recomputed with rank()
    over it (ties share a rank: 1, 2, 2, 4) and compared with the source's rank. Quartile
    tier: above the year's upper quartile of aggregates 'Cao nhất', above the median 'TB
    cao', above the lower quartile 'TB thấp', else 'Thấp nhất'. Full precision; display
    rounding (half up, 2 decimals) is the dashboards' job. -#}

{%- set dimensions = [
    'd1_participation',
    'd2_transparency',
    'd3_vertical_accountability',
    'd4_control_of_corruption',
    'd5_public_administrative_procedures',
    'd6_public_service_delivery',
    'd7_environmental_governance',
    'd8_e_governance',
] %}

with scores as (

    select * from {{ ref('int_papi__province_scores_matched') }}

),

summed as (

    select
        *,
        {% for d in dimensions -%}
        case when {{ d }} is not null then 1 else 0 end{{ ' +' if not loop.last }}
        {% endfor -%} as available_dimension_count,
        case
            when coalesce({{ dimensions | join(', ') }}) is not null then
                {% for d in dimensions -%}
                coalesce({{ d }}, 0){{ ' +' if not loop.last }}
                {% endfor %}
        end as dimension_sum

    from scores

),

year_dimensions as (

    select
        *,
        max(available_dimension_count) over (partition by score_year) as year_dimension_count

    from summed

),

aggregated as (

    select
        *,
        case
            when available_dimension_count = year_dimension_count then dimension_sum
        end as aggregate_score

    from year_dimensions

),

ranked as (

    select
        *,
        case
            when aggregate_score is not null then rank() over (
                partition by score_year, aggregate_score is null
                order by aggregate_score desc
            )
        end as recomputed_rank,
        count(aggregate_score) over (partition by score_year) as ranked_province_count,
        {{ quantile_cont('aggregate_score', 0.25) }} over (partition by score_year) as year_lower_quartile,
        {{ quantile_cont('aggregate_score', 0.5) }} over (partition by score_year) as year_median,
        {{ quantile_cont('aggregate_score', 0.75) }} over (partition by score_year) as year_upper_quartile

    from aggregated

),

tiered as (

    select
        *,
        case
            when aggregate_score is null then null
            when aggregate_score > year_upper_quartile then 'Cao nhất'
            when aggregate_score > year_median then 'TB cao'
            when aggregate_score > year_lower_quartile then 'TB thấp'
            else 'Thấp nhất'
        end as quartile_tier

    from ranked

),

with_previous as (

    select
        current_year.*,
        previous_year.aggregate_score as previous_aggregate_score,
        previous_year.total_score_6_dimensions as previous_aggregate_6_dimensions,
        previous_year.recomputed_rank as previous_national_rank

    from tiered as current_year
    left join tiered as previous_year
        on current_year.province_unit_key = previous_year.province_unit_key
        and current_year.score_year = previous_year.score_year + 1

),

final as (

    select
        province_unit_key,
        score_year,
        gso_province_code,
        papi_province_id,
        province_name,
        region_name,
        {%- for d in dimensions %}
        {{ d }},
        {%- endfor %}
        available_dimension_count,
        year_dimension_count,
        dimension_sum,
        aggregate_score,
        official_total_score,
        total_score_6_dimensions as aggregate_6_dimensions,
        recomputed_rank as national_rank,
        national_rank as source_national_rank,
        {{ null_safe_equal('recomputed_rank', 'national_rank') }} as is_rank_matching_source,
        ranked_province_count,
        quartile_tier,
        tier as source_tier,
        previous_aggregate_score,
        aggregate_score - previous_aggregate_score as aggregate_score_change,
        total_score_6_dimensions - previous_aggregate_6_dimensions as aggregate_6_dimensions_change,
        previous_national_rank,
        previous_national_rank - recomputed_rank as rank_change,
        {{ rank_change_label_vi('previous_national_rank - recomputed_rank') }} as rank_change_label

    from with_previous

)

select * from final
