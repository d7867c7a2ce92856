{#- What the ranking dashboard shows beside each rank of mart_unit_rankings (one row per
    row of it): the unit's classification, its peer group's province median, the short
    rank-change label charts print ("▲ 3 bậc" / "▼ 2 bậc" / "=" / "mới"), its position
    from the top and from the bottom, and flags for the top and bottom N (var
    ranking_chart_units), the latest complete period and the current units.

    Classification (domain.md §5, §11): the PAR INDEX keeps its own class (mart_par_index:
    the lower of the index band and the weakest-field band); every other indicator, all
    in % or points of 100, is banded on the index bands of par_classification_bands (the
    methodology valid in the period's year), through the same macro par_classification.
    Only ranked units are classified and count in the median. -#}

{%- set peers = 'indicator_code, province_code, scheme, peer_group, period_type, period_start' %}

with rankings as (

    select * from {{ ref('mart_unit_rankings') }}

),

bands as (

    select * from {{ ref('par_classification_bands') }}

),

methodologies as (

    select distinct methodology_code, valid_from_year, valid_to_year from bands

),

-- a dossier period is complete once the data reach its end (the last extraction's day)
as_of as (

    select cast(max(extracted_at) as date) as as_of_date from {{ ref('fct_dossier') }}

),

scored as (

    select
        rankings.*,
        methodologies.methodology_code,
        rankings.indicator_value as index_pct,
        cast(null as string) as weakest_field_name,
        cast(null as double) as weakest_field_pct
    from rankings
    left join methodologies
        on extract(year from rankings.period_start) >= methodologies.valid_from_year
        and (methodologies.valid_to_year is null or extract(year from rankings.period_start) <= methodologies.valid_to_year)

),

classified as (

    {{ par_classification('scored', 'bands', eligible='is_ranked') }}

),

placed as (

    select
        classified.*,
        case when classified.is_ranked then classified.list_position end as top_position,
        -- ranked units hold list positions 1..units_ranked, ranked first
        case when classified.is_ranked then classified.units_ranked - classified.list_position + 1 end
            as bottom_position,
        median(case when classified.is_ranked then classified.indicator_value end)
            over (partition by {{ peers }}) as province_median_value,
        -- scored indices (no volume) are published for whole years
        classified.volume is null
        or case classified.period_type
            when 'month' then {{ period_end('classified.period_start', 'month') }}
            else {{ period_end('classified.period_start', 'year') }}
        end <= as_of.as_of_date as is_complete_period
    from classified
    cross join as_of

)

select
    placed.indicator_code,
    placed.province_code,
    placed.scheme,
    placed.peer_group,
    placed.period_type,
    placed.period_start,
    placed.unit_key,
    placed.indicator_value,
    placed.is_ranked,
    placed.unit_rank,
    placed.units_ranked,
    placed.rank_change,
    case when placed.is_ranked
        then coalesce({{ rank_change_label_vi('placed.rank_change', arrows=true) }}, 'mới')
    end as rank_change_symbol,
    case when placed.indicator_code = 'par_index' then par.classification_code else placed.classification_code end
        as classification_code,
    case when placed.indicator_code = 'par_index' then par.classification_name else placed.classification_name end
        as classification_name,
    placed.province_median_value,
    placed.top_position,
    placed.bottom_position,
    coalesce(placed.top_position <= {{ var('ranking_chart_units') }}, false) as is_top_n,
    coalesce(placed.bottom_position <= {{ var('ranking_chart_units') }}, false) as is_bottom_n,
    placed.indicator_code = '{{ var('ranking_headline_indicator') }}' as is_headline_indicator,
    coalesce(placed.is_complete_period and placed.period_start = max(case when placed.is_complete_period
        then placed.period_start end) over (partition by placed.indicator_code, placed.province_code, placed.period_type),
        false) as is_latest_period,
    units.is_current as is_current_unit
from placed
join {{ ref('dim_unit') }} as units using (unit_key)
left join {{ ref('mart_par_index') }} as par
    on placed.indicator_code = 'par_index'
    and par.unit_key = placed.unit_key
    and par.score_year = extract(year from placed.period_start)
