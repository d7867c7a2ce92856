{#- The province the platform serves (var province_code, 2025 scheme): its name and how
    many units of each scheme and level it has (the legacy ones as they stood last, on
    30/06/2025, not those earlier resolutions abolished). -#}

with units as (

    select * from {{ ref('dim_unit') }}
    where province_code = '{{ var("province_code") }}'

),

legacy_end as (

    select max(valid_to) as last_day
    from units
    where scheme = 'legacy'

)

select
    province.unit_key,
    province.unit_code as province_code,
    province.unit_name,
    count(*) filter (where units.scheme = 'legacy' and units.unit_level = 'district'
                     and units.valid_to = legacy_end.last_day) as legacy_district_count,
    count(*) filter (where units.scheme = 'legacy' and units.unit_level = 'commune'
                     and units.valid_to = legacy_end.last_day) as legacy_commune_count,
    count(*) filter (where units.scheme = '2025' and units.unit_level = 'commune') as commune_count,
    count(*) filter (where units.scheme = 'dept_2025') as department_count
from units as province
cross join units
cross join legacy_end
where province.scheme = '2025' and province.unit_level = 'province'
group by province.unit_key, province.unit_code, province.unit_name
