{#- domain.md §7: PAPI Hà Tĩnh 2020 = 45.005 (within 0.001), 5th of 63. Returns a row
    (failure) when the mart does not reproduce it, or has no row for it. -#}

with expected as (

    select 'legacy:42' as province_unit_key, 2020 as score_year, 45.005 as aggregate_score, 5 as national_rank

)

select
    expected.*,
    mart.aggregate_score as mart_aggregate_score,
    mart.national_rank as mart_national_rank
from expected
left join {{ ref('mart_papi_province_year') }} as mart
    on mart.province_unit_key = expected.province_unit_key
    and mart.score_year = expected.score_year
where mart.province_unit_key is null
    or abs(mart.aggregate_score - expected.aggregate_score) > 0.001
    or mart.national_rank <> expected.national_rank
    or mart.ranked_province_count <> 63
