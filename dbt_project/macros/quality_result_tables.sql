{#- The result stores written outside the dbt graph (Great Expectations' validations, and
    each dbt invocation's test results), created before any model reads them as sources.
    Minimal version so the reporting views build on this branch; the data-quality branch
    owns this macro (same name and file) and its version wins on merge. -#}
{% macro create_quality_result_tables() -%}
    {%- if execute %}
    create schema if not exists quality;
    create table if not exists quality.validation_results (
        run_id varchar not null,
        validated_at timestamp not null,
        as_of date not null,
        suite varchar not null,
        dataset varchar not null,
        expectation varchar not null,
        expectation_type varchar not null,
        severity varchar not null,
        success boolean not null,
        unit_key varchar,
        unit_name varchar,
        observed_value varchar,
        message_vi varchar,
        checked_rows integer,
        failed_rows integer
    );
    create table if not exists quality.dbt_test_results (
        invocation_id varchar not null,
        run_started_at timestamp not null,
        test_unique_id varchar not null,
        test_name varchar not null,
        test_type varchar not null,
        model_name varchar,
        column_name varchar,
        severity varchar,
        status varchar not null,
        failures bigint,
        execution_seconds double
    )
    {%- endif %}
{%- endmacro %}
