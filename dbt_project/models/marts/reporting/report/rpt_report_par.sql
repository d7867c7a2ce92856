{#- Periodic report (cchc report), PAR INDEX classification: the area's own PAR INDEX and
    its units' (macro area_scopes) per year, with the class, the weakest field and, for a
    unit classed below its index band, the reason (mart_par_index). -#}
select
    scopes.area_unit_key,
    scopes.unit_scope,
    {{ report_scope_name('scopes.unit_scope', 'a.unit_level') }} as scope_name,
    p.unit_key,
    coalesce(u.unit_name, p.unit_name) as unit_name,
    p.score_year,
    p.index_pct,
    p.classification_name,
    p.class_rank,
    p.weakest_field_name,
    p.weakest_field_pct,
    p.is_downgraded,
    p.downgrade_reason,
    p.rank_in_peer_group,
    p.is_complete,
    p.incomplete_reason
from {{ ref('mart_par_index') }} as p
join {{ area_scopes() }} as scopes
    on scopes.member_unit_key = p.unit_key
    and scopes.unit_scope <> 'all'
join {{ ref('dim_unit') }} as a on a.unit_key = scopes.area_unit_key
left join {{ ref('dim_unit') }} as u on u.unit_key = p.unit_key
