{#- Every unit that is scored or receives dossiers, both eras, one key space: territorial
    units (provinces, districts, communes of the legacy and 2025 schemes) and the
    province's departments (both department schemes). -#}

with admin_units as (

    select * from {{ ref('stg_reference__admin_units') }}

),

departments as (

    select * from {{ ref('stg_reference__departments') }}

),

territorial as (

    select
        unit_key,
        scheme,
        unit_code,
        unit_name,
        short_name,
        unit_type,
        unit_level,
        unit_level as peer_group,
        parent_unit_key,
        province_code,
        latitude,
        longitude,
        area_km2,
        valid_from,
        valid_to
    from admin_units

),

department_units as (

    select
        departments.department_key as unit_key,
        departments.scheme,
        departments.department_code as unit_code,
        departments.department_name as unit_name,
        departments.department_name as short_name,
        departments.department_type as unit_type,
        'department' as unit_level,
        departments.peer_group,
        province.unit_key as parent_unit_key,
        departments.province_code,
        province.latitude,
        province.longitude,
        cast(null as double) as area_km2,
        departments.valid_from,
        departments.valid_to
    from departments
    -- Departments sit at the province's seat, in the scheme current on their first day.
    left join admin_units as province
        on province.unit_level = 'province'
        and province.unit_code = departments.province_code
        and province.scheme = case when departments.valid_to is null then '2025' else 'legacy' end

)

select * from territorial
union all
select * from department_units
