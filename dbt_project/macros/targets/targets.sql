{#- The indicator target that applies to each key of keys_relation (columns indicator_code,
    province_code, peer_group, target_year), from the seed indicator_targets. The one rule of
    which target wins, used by every model that compares a value with a target: the most
    specific row (the province's own before a national one, a peer group's before one for
    all units), then the latest year_from. Keys without any target are absent. -#}
{% macro most_specific_target(keys_relation) -%}
    select indicator_code, province_code, peer_group, target_year, target_pct, source_document
    from (
        select
            keys.indicator_code,
            keys.province_code,
            keys.peer_group,
            keys.target_year,
            targets.target_pct,
            targets.source_document,
            row_number() over (
                partition by keys.indicator_code, keys.province_code, keys.peer_group, keys.target_year
                order by
                    case when targets.province_code is null then 1 else 0 end,
                    case when targets.peer_group = 'all' then 1 else 0 end,
                    targets.year_from desc
            ) as specificity_rank
        from (
            select distinct indicator_code, province_code, peer_group, target_year from {{ keys_relation }}
        ) as keys
        inner join {{ ref('indicator_targets') }} as targets
            on targets.indicator_code = keys.indicator_code
            and keys.target_year >= targets.year_from
            and (targets.year_to is null or keys.target_year <= targets.year_to)
            and (targets.peer_group = 'all' or targets.peer_group = keys.peer_group)
            and (targets.province_code is null or targets.province_code = keys.province_code)
    ) as ranked
    where specificity_rank = 1
{%- endmacro %}
