{#- Dataset rpt_par_index: PAR INDEX and classification per unit and year. -#}
select
    p.unit_key,
    coalesce(u.unit_name, p.unit_name) as unit_name,
    {{ label_vi('peer_group', 'p.peer_group') }} as peer_group,
    p.score_year as year,
    {{ unit_status('u', 'make_date(p.score_year, 1, 1)', 'year') }},
    p.index_pct / 100 as index_share,
    p.classification_name,
    p.rank_in_peer_group,
    p.weakest_field_name,
    p.is_downgraded,
    -- the donut counts the units of one year: the latest scored
    p.score_year = max(p.score_year) over () as is_latest_year
from {{ ref('mart_par_index') }} as p
left join {{ ref('dim_unit') }} as u using (unit_key)
