{#- The raw layer on Spark: every dbt source as a view over its Parquet folder, which
    cchc.spark.raw wrote from the DuckDB build warehouse (CCHC_SPARK_RAW_DIR). Views over
    the path, not tables: Spark discovers the load-id partitions on every read, so a new
    night's folder needs no repair. Run as an on-run-start hook; on DuckDB the sources are
    the warehouse's own tables and nothing is done. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'cchc')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
    select 1 as raw_sources_are_warehouse_tables
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var('CCHC_SPARK_RAW_DIR') -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                             ~ ' as select * from parquet.`' ~ raw_dir ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as raw_sources_registered
{%- endmacro %}


{#- Seeds on Spark, as on DuckDB: dbt-spark's own loader (session method) passes each cell
    as a quoted binding, so an empty cell arrives as the text 'None' (a targets seed came
    out empty downstream), a quote in a cell breaks the statement and numbers go through
    float. Cells are written as SQL literals here instead: NULL, the number as written,
    or the text with Spark's escapes. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set type = column_override.get(agate_table.column_names[loop.index0],
                                                       adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ cchc.spark_seed_literal(value) }} as {{ type }}){{ ',' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
