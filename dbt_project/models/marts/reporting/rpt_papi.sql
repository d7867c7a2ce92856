{#- Dataset rpt_papi: PAPI per province and year, the province's own row marked
    (var province_code, from the pipeline's settings) and its score and rank repeated in
    columns of their own so the dashboards' metrics need no conditions; the ISO 3166-2 code
    is the key of the map of Vietnam Superset's country map draws. -#}
select
    score_year as year,
    papi.province_name,
    iso.iso_3166_2_code,
    region_name,
    papi.gso_province_code = '{{ var("province_code") }}' as is_demo_province,
    aggregate_score,
    national_rank,
    ranked_province_count,
    quartile_tier,
    rank_change_label,
    d1_participation,
    d2_transparency,
    d3_vertical_accountability,
    d4_control_of_corruption,
    d5_public_administrative_procedures,
    d6_public_service_delivery,
    d7_environmental_governance,
    d8_e_governance,
    case when papi.gso_province_code = '{{ var("province_code") }}' then aggregate_score end as province_score,
    case when papi.gso_province_code = '{{ var("province_code") }}' then national_rank end as province_rank
from {{ ref('mart_papi_province_year') }} as papi
left join {{ ref('province_iso_codes') }} as iso
    on papi.gso_province_code = iso.gso_province_code
