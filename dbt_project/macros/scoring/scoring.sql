{#- Scoring helpers for the PAR INDEX, SIPAS and PAPI marts (models/marts/scoring). -#}

{#- A percentage as Vietnamese readers write it, for generated sentences only: rounded
    half up to 2 decimals, decimal comma ('65,46'). Going through DECIMAL(38, 6) first
    removes binary noise (65.455 stored as 65.45499… still rounds to 65,46). -#}
{% macro format_pct_vi(column) -%}
    {{ return(adapter.dispatch('format_pct_vi', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__format_pct_vi(column) -%}
    replace(cast(cast(round(cast({{ column }} as decimal(38, 6)), 2) as decimal(38, 2)) as string), '.', ',')
{%- endmacro %}

{#- PAR INDEX classification (domain.md §5). `scored` is a relation or CTE with
    methodology_code, index_pct, weakest_field_name and weakest_field_pct; `bands` is
    the par_classification_bands seed. Each basis (index, weakest_field) is banded on
    inclusive lower bounds; the class is the lower of the two bands (the larger
    class_rank). Returns a select of scored.* plus index_band_code,
    weakest_field_band_code, class_rank, classification_code, classification_name,
    is_downgraded and downgrade_reason (Vietnamese; NULL when not downgraded).
    `eligible`: a boolean column of `scored`; rows where it is not true get no band and
    no class (those columns NULL). -#}
{% macro par_classification(scored, bands, eligible=none) -%}
    {%- set eligible_only = ('and scored.' ~ eligible) if eligible else '' %}
    {#- Each band's exclusive upper bound is the next band's lower bound. -#}
    {%- set bands_with_upper -%}
    (select *, lead(lower_bound_pct) over (partition by methodology_code, basis order by lower_bound_pct) as upper_bound_pct
     from {{ bands }})
    {%- endset %}
    select
        scored.*,
        index_band.classification_code as index_band_code,
        weakest_band.classification_code as weakest_field_band_code,
        case
            when weakest_band.class_rank > index_band.class_rank then weakest_band.class_rank
            else index_band.class_rank
        end as class_rank,
        case
            when weakest_band.class_rank > index_band.class_rank then weakest_band.classification_code
            else index_band.classification_code
        end as classification_code,
        case
            when weakest_band.class_rank > index_band.class_rank then weakest_band.classification_name
            else index_band.classification_name
        end as classification_name,
        {%- if eligible %}
        case when scored.{{ eligible }} then coalesce(weakest_band.class_rank > index_band.class_rank, false) end
        {%- else %}
        coalesce(weakest_band.class_rank > index_band.class_rank, false)
        {%- endif %} as is_downgraded,
        case
            when weakest_band.class_rank > index_band.class_rank then
                'Chỉ số ' || {{ cchc.format_pct_vi('scored.index_pct') }} || '% đạt '
                || index_band.classification_name
                || ' nhưng lĩnh vực ' || scored.weakest_field_name
                || ' chỉ đạt ' || {{ cchc.format_pct_vi('scored.weakest_field_pct') }}
                || '% nên xếp ' || weakest_band.classification_name
        end as downgrade_reason
    from {{ scored }} as scored
    left join {{ bands_with_upper }} as index_band
        on index_band.methodology_code = scored.methodology_code
        and index_band.basis = 'index'
        {{ eligible_only }}
        and scored.index_pct >= index_band.lower_bound_pct
        and (index_band.upper_bound_pct is null or scored.index_pct < index_band.upper_bound_pct)
    left join {{ bands_with_upper }} as weakest_band
        on weakest_band.methodology_code = scored.methodology_code
        and weakest_band.basis = 'weakest_field'
        {{ eligible_only }}
        and scored.weakest_field_pct >= weakest_band.lower_bound_pct
        and (weakest_band.upper_bound_pct is null or scored.weakest_field_pct < weakest_band.upper_bound_pct)
{%- endmacro %}

{#- Vietnamese label of a rank change (previous rank − current rank, domain.md §11):
    'tăng N bậc' when positive, 'giảm N bậc' when negative, 'giữ nguyên' when 0; with
    arrows, the short form charts print beside a unit's name: '▲ N bậc', '▼ N bậc', '='. -#}
{% macro rank_change_label_vi(rank_change, arrows=false) -%}
    {%- set up, down, same = ('▲ ', '▼ ', '=') if arrows else ('tăng ', 'giảm ', 'giữ nguyên') %}
    case
        when {{ rank_change }} > 0 then '{{ up }}' || cast({{ rank_change }} as string) || ' bậc'
        when {{ rank_change }} < 0 then '{{ down }}' || cast(-({{ rank_change }}) as string) || ' bậc'
        when {{ rank_change }} = 0 then '{{ same }}'
    end
{%- endmacro %}
