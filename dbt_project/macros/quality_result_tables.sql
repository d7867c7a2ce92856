{#- The data-quality result tables, created by the on-run-start hook so they exist (empty)
    before anything reads them: the reporting views (models/marts/reporting, through the
    source `quality_results`) and the writers, which only append rows:

    quality.validation_results  every result of every `cchc validate` (src/cchc/quality):
                                one summary row per expectation (unit_key NULL) and one
                                row per failing unit/row
    quality.dbt_test_results    every dbt test result of every dbt invocation (generic,
                                singular and unit tests), appended by the on-run-end hook
                                store_dbt_test_results()

    Both are published with the marts (cchc.publish copies the quality schema's tables). -#}
{% macro create_quality_result_tables() -%}
    {{ return(adapter.dispatch('create_quality_result_tables', 'cchc')()) }}
{%- endmacro %}

{#- On Spark the result tables are sources like the raw layer (cchc.spark.raw exports them
    from the DuckDB build warehouse, where validation appends): nothing to create. -#}
{% macro spark__create_quality_result_tables() -%}
    select 1 as quality_result_tables_are_sources
{%- endmacro %}

{% macro default__create_quality_result_tables() -%}
    create schema if not exists quality;
    -- Retired: the latest run's failing units are now rows of validation_results (reporting
    -- view rpt_quality__validation_results); a warehouse from before must not publish it.
    drop table if exists quality.unit_data_gaps;
    create table if not exists quality.validation_results (
        run_id varchar not null,
        validated_at timestamp not null,   -- local time, {{ var('local_time_zone') }}
        as_of date not null,
        suite varchar not null,
        dataset varchar not null,
        expectation varchar not null,
        expectation_type varchar not null,
        severity varchar not null,
        success boolean not null,
        unit_key varchar,                  -- NULL on an expectation's summary row
        unit_name varchar,
        observed_value varchar,
        message_vi varchar,
        checked_rows integer,
        failed_rows integer
    );
    comment on table quality.validation_results is 'Kết quả kiểm tra chất lượng dữ liệu (Great Expectations), mọi lượt chạy';
    create table if not exists quality.dbt_test_results (
        invocation_id varchar not null,
        run_started_at timestamp not null, -- local time, {{ var('local_time_zone') }}
        test_unique_id varchar not null,
        test_name varchar not null,
        test_type varchar not null,        -- generic | singular | unit
        model_name varchar,
        column_name varchar,
        severity varchar,
        status varchar not null,           -- pass | warn | fail | error | skipped
        failures bigint,
        execution_seconds double
    );
    comment on table quality.dbt_test_results is 'Kết quả kiểm thử dbt (generic, singular, unit test), mọi lượt chạy'
{%- endmacro %}


{#- on-run-end: one row per test result of this invocation in quality.dbt_test_results,
    from dbt's `results` (as the dbt_artifacts package does). Runs after a failing build
    too (dbt calls on-run-end whatever the nodes' statuses), so failures are kept. -#}
{% macro store_dbt_test_results(results) -%}
    {{ return(adapter.dispatch('store_dbt_test_results', 'cchc')(results)) }}
{%- endmacro %}

{#- On Spark the table is a read-only source (above): the runner reports the results. -#}
{% macro spark__store_dbt_test_results(results) -%}
    select 0 as dbt_test_results_stored
{%- endmacro %}

{% macro default__store_dbt_test_results(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set rows = [] -%}
    {%- for result in results if result.node.resource_type in ('test', 'unit_test') -%}
        {%- set node = result.node -%}
        {%- if node.resource_type == 'unit_test' -%}
            {%- set test_type, tested = 'unit', node.tested_node_unique_id -%}
        {%- elif node.test_metadata -%}
            {%- set test_type, tested = 'generic', node.attached_node -%}
        {%- else -%}
            {#- A singular test names its model by ref(): the first model it depends on. -#}
            {%- set model_uids = [] -%}
            {%- for uid in node.depends_on.nodes if uid.startswith('model.') %}{% do model_uids.append(uid) %}{% endfor -%}
            {%- set test_type, tested = 'singular', (model_uids | first) -%}
        {%- endif -%}
        {%- do rows.append('(' ~ [
            quality_literal(invocation_id),
            to_local_timestamp(quality_literal(run_started_at | string)),
            quality_literal(node.unique_id),
            quality_literal(node.name),
            quality_literal(test_type),
            quality_literal(tested.split('.')[-1] if tested else none),
            quality_literal(node.column_name if node.column_name is defined else none),
            quality_literal(node.config.severity | lower if node.config.severity else none),
            quality_literal(result.status | string | lower),
            (result.failures | int) if result.failures is not none else 'null',
            (result.execution_time | float)
        ] | join(', ') ~ ')') -%}
    {%- endfor -%}
    {%- if not rows -%}{{ return('select 0 as dbt_test_results_stored') }}{%- endif -%}
    {#- Returned, not run here: dbt runs the hook's SQL in its transaction and commits it. -#}
    insert into quality.dbt_test_results
        (invocation_id, run_started_at, test_unique_id, test_name, test_type, model_name,
         column_name, severity, status, failures, execution_seconds)
    values
    {{ rows | join(',\n    ') }}
{%- endmacro %}


{#- A SQL literal: NULL, or the text quoted with its single quotes doubled. -#}
{% macro quality_literal(value) -%}
    {{- 'null' if value is none else "'" ~ (value | string | replace("'", "''")) ~ "'" -}}
{%- endmacro %}
