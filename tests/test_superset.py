"""Superset: the bundle, a real server over HTTP on the published demo warehouse, row-level
security, read-only access, and a real browser on the ranking dashboard."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import requests
import yaml
from conftest import ROOT

from cchc.bi.bundle import CHARTS, CHARTS_BY_KEY, DASHBOARDS, FILTERS, bundle_files, dataset_uuid, read_bundle
from cchc.bi.client import SupersetClient
from cchc.bi.provision import DEMO_UNIT_KEY, PUBLIC_DATASETS, QUALITY_DATASETS
from cchc.bi.semantic import load_models, metric_expression
from cchc.publish import switch_serving_link

ADMIN_PASSWORD = os.environ.get("CCHC_SUPERSET_PASSWORD", "admin")
DEMO_PASSWORD = os.environ.get("CCHC_SUPERSET_DEMO_PASSWORD", "demo-cchc")


# --- the bundle (no server) ---------------------------------------------------------------

@pytest.fixture(scope="module")
def models():
    """The reporting models (the datasets) as dbt's manifest declares them (`dbt parse`)."""
    return load_models()


def _where(chart) -> str:
    """A chart's simple filters as SQL, to count its rows in the warehouse directly."""
    sql = {"==": "{} = '{}'", "IS TRUE": "{} IS TRUE", "IN": "{} IN {}"}
    return " AND ".join(sql[op].format(column, tuple(value) if op == "IN" else value)
                        for column, op, value in chart.filters) or "TRUE"


def test_committed_bundle_is_what_the_generator_writes():
    assert read_bundle(ROOT / "superset" / "bundle") == bundle_files(), \
        "superset/bundle is out of date: run `cchc superset bundle`"


def test_charts_use_columns_and_metrics_of_their_dataset(models):
    for chart in CHARTS:
        dataset = models[chart.dataset]
        assert set(chart.columns) | {c for c, _, _ in chart.filters} <= set(dataset.column_names()), chart.key
        assert set(chart.metrics) <= set(dataset.metrics), chart.key
    placed = [key for dash in DASHBOARDS for key in dash.chart_keys()]
    assert sorted(placed) == sorted(c.key for c in CHARTS), "every chart is on exactly one dashboard"
    uuids = [c.uuid for c in CHARTS] + [dataset_uuid(name) for name in models] + [d.uuid for d in DASHBOARDS]
    assert len(set(uuids)) == len(uuids)


def test_bundle_metrics_are_the_dbt_definitions(models):
    """Every Superset metric in the committed bundle is the one its reporting model declares
    in dbt (formula, label, format), and every dataset is a physical reporting table."""
    bundle = ROOT / "superset" / "bundle" / "datasets"
    committed = {d["table_name"]: d
                 for d in (yaml.safe_load(p.read_text(encoding="utf-8")) for p in bundle.rglob("*.yaml"))}
    assert set(committed) == set(models), "one Superset dataset per dbt reporting model"
    for name, dataset in committed.items():
        assert dataset["schema"] == "reporting" and not dataset["sql"], name
        declared = {m.name: (metric_expression(m.spec), m.label, m.d3format) for m in models[name].metrics.values()}
        in_bundle = {m["metric_name"]: (m["expression"], m["verbose_name"], m["d3format"]) for m in dataset["metrics"]}
        assert in_bundle == declared, f"{name}: Superset metrics differ from dbt's; run `cchc superset bundle`"
        assert [(c["column_name"], c["verbose_name"], c["type"]) for c in dataset["columns"]] == \
            [(c.name, c.label, c.type) for c in models[name].columns], name
    rates = [m for d in models.values() for m in d.metrics.values() if m.is_rate]
    assert all("NULLIF(SUM(" in m.expression for m in rates) and len(rates) >= 9



def test_handlebars_charts_show_columns_they_query():
    """A handlebars chart's template names only columns its query returns (else it draws blanks)."""
    charts = [c for c in CHARTS if c.viz == "handlebars"]
    assert charts
    for chart in charts:
        shown = set(re.findall(r"{{(\w+)}}", chart.extra["handlebarsTemplate"])) - {"else"}
        assert shown and shown <= set(chart.columns), chart.key


# --- the PAPI map: Superset's own boundaries of Vietnam --------------------------------------

def _vietnam_geojson() -> dict:
    """The Vietnam map Superset's country map draws, read from the installed package: the
    front end's entry chunk names its file (``vietnam:<path>+"<hash>.geojson"``)."""
    venvs = Path(os.environ.get("CCHC_VENV_ROOT", ROOT / ".venv"))
    assets = next((venvs / "superset").glob("lib/python3*/site-packages/superset/static/assets"))
    for entry in assets.glob("*.entry.js"):
        found = re.search(r'vietnam:\w+\.p\+"([0-9a-f]+\.geojson)"', entry.read_text(encoding="utf-8"))
        if found:
            return json.loads((assets / found.group(1)).read_text(encoding="utf-8"))
    raise AssertionError(f"no Vietnam GeoJSON named in {assets}")


def _province_iso_codes() -> list[dict]:
    with open(ROOT / "dbt_project" / "seeds" / "province_iso_codes.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_papi_provinces_map_to_the_bundled_vietnam_geojson():
    """The seed gives each of the 63 legacy provinces (those PAPI's rows are matched to,
    int_papi__province_scores_matched) the ISO 3166-2 code of one province of the map, and
    the map chart keys on that column."""
    features = {f["properties"]["ISO"]: f["properties"]["NAME_1"] for f in _vietnam_geojson()["features"]}
    seed = _province_iso_codes()
    with open(ROOT / "seeds" / "reference" / "admin_units.csv", encoding="utf-8", newline="") as f:
        legacy = {r["code"]: r["short_name"] for r in csv.DictReader(f)
                  if r["scheme"] == "legacy" and r["level"] == "province"}
    assert len(features) == len(legacy) == len(seed) == 63
    assert sorted(r["gso_province_code"] for r in seed) == sorted(legacy)
    assert sorted(r["iso_3166_2_code"] for r in seed) == sorted(features)
    # the same province on both sides: the map's name contains the reference's short name
    # (Huế in "Thừa Thiên - Huế", Hồ Chí Minh in "Thành phố Hồ Chí Minh")
    assert [r for r in seed if legacy[r["gso_province_code"]] not in features[r["iso_3166_2_code"]]] == []
    chart = CHARTS_BY_KEY["papi_map"]
    params = yaml.safe_load((ROOT / "superset" / "bundle" / "charts" / "papi_map.yaml").read_text(encoding="utf-8"))["params"]
    assert (params["viz_type"], params["select_country"], params["entity"]) == ("country_map", "vietnam", "iso_3166_2_code")
    assert chart.columns == ["iso_3166_2_code"]
    # a dashboard colour scheme would replace the map's score scale by categorical colours
    dashboard = yaml.safe_load((ROOT / "superset" / "bundle" / "dashboards" / "cchc-papi.yaml").read_text(encoding="utf-8"))
    assert dashboard["metadata"]["color_scheme"] is None
WHOLE_PROVINCE = {"peer_group", "unit_name"}  # filters that open empty: the whole province


def _native_filters():
    committed = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
                 for p in (ROOT / "superset" / "bundle" / "dashboards").glob("*.yaml")}
    names = {dataset_uuid(name): name for name in load_models()}
    for slug, dash in committed.items():
        charts = {item["meta"]["chartId"]: item["meta"]["uuid"] for item in dash["position"].values()
                  if isinstance(item, dict) and item.get("type") == "CHART"}
        for f in dash["metadata"]["native_filter_configuration"]:
            yield slug, f, names[f["targets"][0]["datasetUuid"]], charts


def test_every_filter_opens_on_a_default_dbt_chooses(models):
    """Each filter either opens on the first value of its list in the order a dbt metric
    gives (the last complete month or year, the units in force: dbt decides each night and
    Superset writes it from the snapshot, see test_filter_defaults_follow_the_snapshot) or,
    for the unit filters, empty (the whole province). None carries a value in the bundle,
    none is chosen in the browser (the charts would wait for the filter's query), none is
    required (cleared, it filters nothing: never an empty page), none cascades (Superset
    re-selects a cascaded default filter when cleared)."""
    seen = 0
    for slug, f, dataset, _ in _native_filters():
        column = f["targets"][0]["column"]["name"]
        assert column in models[dataset].column_names(), (slug, f["name"])
        assert f["defaultDataMask"]["filterState"] == {} and "defaultValue" not in f["controlValues"], (slug, column)
        assert f["controlValues"]["enableEmptyFilter"] is False and f["cascadeParentIds"] == [], (slug, column)
        for prefilter in f["adhoc_filters"]:
            assert prefilter["subject"] in models[dataset].column_names(), (slug, column)
        assert f["controlValues"]["defaultToFirstItem"] is False and f["requiredFirst"] is False, (slug, column)
        if f["sortMetric"]:
            metric = f["sortMetric"]
            assert metric in models[dataset].metrics, (slug, column, metric)  # declared in the dbt model's YAML
            assert f["controlValues"]["sortMetric"] == metric
            seen += 1
        else:
            assert column in WHOLE_PROVINCE and f["description"] == "Để trống: toàn tỉnh", (slug, column)
    assert seen >= 12
    # every dashboard opens on a period; those with unit rows on the units in force
    for dash in DASHBOARDS:
        assert any(FILTERS[k].grain for k in dash.filters), dash.slug
        unit_rows = {CHARTS_BY_KEY[key].dataset for key in dash.chart_keys()} & \
            {name for name, m in models.items() if "unit_status" in m.column_names()}
        assert not unit_rows or "unit_status" in dash.filters, dash.slug


def test_no_chart_takes_two_period_filters(models):
    """A chart is in the scope of the month filter or of the year filter, not both, so the
    yearly tables keep the last complete year while the monthly ones show the last complete
    month (issue #15: choosing a month emptied the yearly table)."""
    by_chart: dict[tuple[str, str], list[str]] = {}
    for slug, f, _dataset, charts in _native_filters():
        if f["targets"][0]["column"]["name"] not in ("year", "month_label"):
            continue
        for chart_id, chart_uuid in charts.items():
            if chart_id not in f["scope"]["excluded"]:
                by_chart.setdefault((slug, chart_uuid), []).append(f["name"])
    assert by_chart and all(len(names) == 1 for names in by_chart.values()), by_chart
    monthly = [c for c in CHARTS if c.viz == "big_number_total" and "month_label" in models[c.dataset].column_names()]
    assert all(by_chart[(slug, c.uuid)] == ["Tháng"] for slug in ("cchc-tong-quan", "cchc-ho-so") for c in monthly
               if (slug, c.uuid) in by_chart) and len(monthly) >= 8


def test_the_quality_operator_reads_every_dataset_of_its_dashboards():
    """Filters read datasets too: the quality and PAPI dashboards' filters list values only
    from what the data-quality role reads, or it would not be given them."""
    from cchc.bi.bundle import bundle_dashboards

    reads = bundle_dashboards(read_bundle(ROOT / "superset" / "bundle"))
    for slug in ("cchc-chat-luong", "cchc-papi"):
        dash = next(d for d in DASHBOARDS if d.slug == slug)
        assert reads[dash.uuid] <= {*QUALITY_DATASETS, *PUBLIC_DATASETS}, slug


def test_map_shows_current_units_in_band_colours_from_the_seed():
    """One point per unit in force, coloured by the seed's band colours (green = best)."""
    import csv

    chart = CHARTS_BY_KEY["overview_map"]
    assert ("is_active_unit", "IS TRUE", None) in chart.filters
    with open(ROOT / "dbt_project" / "seeds" / "reporting_on_time_bands.csv", encoding="utf-8") as f:
        bands = sorted(csv.DictReader(f), key=lambda r: -float(r["lower_bound_pct"]))
    overview = yaml.safe_load((ROOT / "superset" / "bundle" / "dashboards" / "cchc-tong-quan.yaml").read_text("utf-8"))
    colours = overview["metadata"]["label_colors"]
    assert [colours[b["band_label"]] for b in bands] == [f"#{b['colour_hex']}" for b in bands]
    best, worst = (tuple(int(bands[i]["colour_hex"][k:k + 2], 16) for k in (0, 2, 4)) for i in (0, -1))
    assert best[1] > best[0] and worst[0] > worst[1]  # green best, red worst
    params = yaml.safe_load((ROOT / "superset" / "bundle" / "charts" / "overview_map.yaml").read_text("utf-8"))["params"]
    assert params["legend_position"] and params["color_scheme_type"] == "categorical_palette"


def test_overdue_list_is_full_width_paged_and_totalled():
    overdue = CHARTS_BY_KEY["dossier_overdue"]
    assert overdue.width == 12 and overdue.extra["server_pagination"] is True
    dossiers = next(d for d in DASHBOARDS if d.slug == "cchc-ho-so")
    placed = dossiers.chart_keys()
    assert "dossier_overdue_total" in placed and CHARTS_BY_KEY["dossier_overdue_total"].dataset == overdue.dataset


def test_ranking_dashboard_opens_on_the_worst_and_best_units(models):
    """The ranking dashboard opens on the bar charts of each peer group's worst and best
    units (its first tab, under the data-status line), read from the dbt columns that pick
    them (latest complete month, headline indicator, top/bottom N, label with the rank change,
    class, province median); the full tables are the next tabs."""
    ranking = next(d for d in DASHBOARDS if d.slug == "cchc-xep-hang")
    assert ranking.rows == [ranking.availability_keys()]
    rows = ranking.tabs[0].rows
    assert ranking.first_view() == ranking.availability_keys() + rows[0] + rows[1]
    assert rows[0] == ["ranking_commune_bottom", "ranking_commune_top"]
    assert rows[1] == ["ranking_department_bottom", "ranking_department_top"]
    params = {key: bundle_files()[f"charts/{key}.yaml"] for key in rows[0] + rows[1]}
    for key, text in params.items():
        chart = yaml.safe_load(text)["params"]
        assert chart["viz_type"] == "mixed_timeseries" and chart["seriesType"] == "bar" and chart["seriesTypeB"] == "line"
        assert chart["x_axis"] == "chart_label" and chart["groupby"] == ["classification_name"]
        assert chart["metrics_b"] == ["province_median"]
        assert {f["subject"] for f in chart["adhoc_filters"]} == \
            {"is_headline_indicator", "is_latest_period", "period_type", "peer_group_code", "ranking_end"}, key
        assert chart["adhoc_filters"] == chart["adhoc_filters_b"]
    assert models["rpt_unit_ranking_extremes"].metrics["province_median"].spec["max"] == "province_median_value"
    dashboard = yaml.safe_load(bundle_files()["dashboards/cchc-xep-hang.yaml"])
    assert {"Xuất sắc", "Tốt", "Hoàn thành", "Không hoàn thành"} <= set(dashboard["metadata"]["label_colors"])
    # the donut: one year's distinct units, counts shown
    donut = yaml.safe_load(bundle_files()["charts/ranking_classes.yaml"])["params"]
    assert donut["metric"] == "units" and models["rpt_par_index"].metrics["units"].spec == \
        {"label": "Số đơn vị", "count_distinct": "unit_key", "format": ",d"}
    assert [f["subject"] for f in donut["adhoc_filters"]] == ["is_latest_year"] and "value" in donut["label_type"]


@pytest.mark.slow
def test_datasets_match_the_serving_database(published_serving, models):
    con = duckdb.connect(str(published_serving), read_only=True)
    try:
        for dataset in models.values():
            described = con.execute(f"DESCRIBE reporting.{dataset.name}").fetchall()
            assert [(row[0], row[1]) for row in described] == [(c.name, c.type) for c in dataset.columns], dataset.name
    finally:
        con.close()



@pytest.mark.slow
def test_every_papi_province_of_every_year_is_on_the_map(published_serving):
    codes = {f["properties"]["ISO"] for f in _vietnam_geojson()["features"]}
    con = duckdb.connect(str(published_serving), read_only=True)
    try:
        years = con.execute("""SELECT year, count(*), count(DISTINCT iso_3166_2_code),
                                      list(DISTINCT iso_3166_2_code) FROM reporting.rpt_papi GROUP BY year""").fetchall()
    finally:
        con.close()
    assert years and all(rows == distinct == 63 and set(iso) <= codes for _, rows, distinct, iso in years), years

# --- a real server ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def admin(superset_server) -> SupersetClient:
    return SupersetClient(superset_server.url, "admin", ADMIN_PASSWORD)


def _counts(client: SupersetClient) -> dict[str, list]:
    return {resource: sorted(str(row[key]) for row in client.list_all(resource, [key]))
            for resource, key in (("chart", "uuid"), ("dashboard", "uuid"), ("dataset", "uuid"),
                                  ("database", "uuid"))}


@pytest.mark.slow
def test_importing_the_bundle_twice_leaves_no_duplicates(superset_server, admin):
    before = _counts(admin)
    assert len(before["chart"]) == len(CHARTS)
    assert len(before["dashboard"]) == len(DASHBOARDS)
    assert len(before["dataset"]) == len(load_models())
    assert len(before["database"]) == 1
    for _ in range(2):  # the start-up imported once; the REST API imports twice more
        response = admin.import_assets(bundle_files(superset_server.serving_path))
        assert response.status_code == 200, response.text
    assert _counts(admin) == before


def _filter_defaults(client: SupersetClient) -> dict[tuple[str, str], list | None]:
    """{(dashboard slug, filter column): the value each dashboard opens on} as Superset holds it."""
    defaults = {}
    for dash in DASHBOARDS:
        response = client.get(f"/api/v1/dashboard/{dash.slug}")
        assert response.ok, (dash.slug, response.status_code)
        for f in json.loads(response.json()["result"]["json_metadata"])["native_filter_configuration"]:
            defaults[dash.slug, f["targets"][0]["column"]["name"]] = f["defaultDataMask"]["filterState"].get("value")
    return defaults


def _first_periods(serving: Path) -> tuple[str, int]:
    """The last complete month and year, as dbt orders them (complete_order = 1)."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("""
            SELECT max(month_label) FILTER (WHERE period_type = 'month'),
                   max(year) FILTER (WHERE period_type = 'year')
            FROM reporting.rpt_reporting_periods WHERE complete_order = 1""").fetchone()


@pytest.mark.slow
def test_filter_defaults_follow_the_snapshot(superset_server, admin, published_serving):
    """The dashboards open on the last complete month and year that dbt marks in the serving
    snapshot, the units in force, the whole province; when a new snapshot is published the
    next request moves the defaults on, without a restart."""
    month, year = _first_periods(published_serving)
    defaults = _filter_defaults(admin)
    month_filters = [key for key in defaults if key[1] == "month_label" and key[0] != "cchc-chat-luong"]
    assert month_filters and all(defaults[key] == [month] for key in month_filters), (month, defaults)
    assert defaults["cchc-xep-hang", "year"] == [year]
    assert all(defaults[key] == ["Đơn vị hiện hành"] for key in defaults if key[1] == "unit_status")
    assert all(defaults[key] is None for key in defaults if key[1] in ("peer_group", "unit_name"))

    # A next night: the month after is now the last complete one (a copy of the snapshot
    # with dbt's order moved by one), published by switching the serving link.
    serving_dir = published_serving.parent
    current = published_serving.resolve()
    night = current.with_name("test-next-night.duckdb")
    shutil.copy(current, night)
    with duckdb.connect(str(night)) as con:
        earlier = con.execute("""SELECT month_label FROM reporting.rpt_reporting_periods
                                 WHERE period_type = 'month' AND complete_order = 2""").fetchone()[0]
        con.execute("""UPDATE reporting.rpt_reporting_periods SET complete_order = 3 - complete_order
                       WHERE period_type = 'month' AND complete_order IN (1, 2)""")
    try:
        switch_serving_link(serving_dir, night)
        moved = _filter_defaults(admin)
        assert all(moved[key] == [earlier] for key in month_filters), (earlier, moved)
    finally:
        switch_serving_link(serving_dir, current)
        night.unlink()
    assert _filter_defaults(admin) == defaults
    # An import writes the bundle's empty defaults back: the next request writes them again.
    assert admin.import_assets(bundle_files(superset_server.serving_path)).status_code == 200
    assert _filter_defaults(admin) == defaults


def _chart_ids(client: SupersetClient) -> dict[str, int]:
    return {row["slice_name"]: row["id"] for row in client.list_all("chart", ["id", "slice_name"])}


@pytest.mark.slow
def test_every_chart_returns_rows(admin, published_serving, models):
    ids = _chart_ids(admin)
    con = duckdb.connect(str(published_serving), read_only=True)
    failures, empty = {}, []
    for chart in CHARTS:
        response = admin.chart_data(ids[chart.title])
        result = response.json().get("result", [{}])[0] if response.ok else {}
        if not response.ok or result.get("error"):
            failures[chart.title] = (response.status_code, response.text[:300])
        elif not result.get("rowcount"):
            # Only acceptable where the warehouse itself has nothing (a clean validation run
            # has no failing unit to list).
            in_warehouse = con.execute(
                f"SELECT count(*) FROM reporting.{chart.dataset} WHERE {_where(chart)}").fetchone()[0]
            if in_warehouse:
                failures[chart.title] = f"no rows through Superset, {in_warehouse} in the warehouse"
            empty.append(chart.dataset)
    con.close()
    assert not failures, failures
    assert set(empty) <= set(QUALITY_DATASETS), empty


@pytest.mark.slow
def test_unit_user_sees_only_their_unit(superset_server, admin, published_serving, models):
    con = duckdb.connect(str(published_serving), read_only=True)
    unit_name = con.execute("SELECT unit_name FROM marts.dim_unit WHERE unit_key = ?", [DEMO_UNIT_KEY]).fetchone()[0]
    con.close()
    unit = SupersetClient(superset_server.url, "donvi", DEMO_PASSWORD)
    ids = _chart_ids(admin)
    checked = 0
    for chart in CHARTS:
        if chart.dataset in PUBLIC_DATASETS:
            continue
        if not models[chart.dataset].unit_scoped:  # province totals: not for a unit
            assert unit.chart_data(ids[chart.title]).status_code in (403, 404), chart.title
            continue
        if "unit_name" not in chart.columns:
            continue
        everyone = {row["unit_name"] for row in admin.chart_data(ids[chart.title]).json()["result"][0]["data"]}
        response = unit.chart_data(ids[chart.title])
        assert response.ok, (chart.title, response.text[:300])
        mine = {row["unit_name"] for row in response.json()["result"][0]["data"]}
        assert mine <= {unit_name}, chart.title
        if mine:
            assert len(everyone) > 1, chart.title  # the filter removed other units' rows
            checked += 1
    assert checked >= 4
    # Aggregates too: the unit's on-time rate is its own, not the province's.
    headline = unit.chart_data(ids["Tỷ lệ hồ sơ giải quyết đúng hạn"]).json()["result"][0]["data"][0]
    province = admin.chart_data(ids["Tỷ lệ hồ sơ giải quyết đúng hạn"]).json()["result"][0]["data"][0]
    assert headline["on_time_rate"] != province["on_time_rate"]


@pytest.mark.slow
def test_anonymous_requests_are_refused(superset_server, admin):
    anonymous = requests.Session()
    chart_id = next(iter(_chart_ids(admin).values()))
    assert anonymous.get(f"{superset_server.url}/api/v1/chart/", timeout=30).status_code == 401
    assert anonymous.get(f"{superset_server.url}/api/v1/chart/{chart_id}/data/", timeout=30).status_code == 401
    page = anonymous.get(f"{superset_server.url}/superset/dashboard/cchc-xep-hang/", timeout=30,
                         allow_redirects=False)
    assert page.status_code in (301, 302) and "/login" in page.headers["Location"]


@pytest.mark.slow
def test_analyst_reads_but_cannot_write_the_warehouse(superset_server, admin, published_serving):
    database_id = admin.list_all("database", ["id"])[0]["id"]
    analyst = SupersetClient(superset_server.url, "phantich", DEMO_PASSWORD)
    ok = analyst.sql(database_id, "SELECT count(*) AS n FROM marts.dim_unit")
    assert ok.status_code == 200 and ok.json()["data"][0]["n"] > 0, ok.text[:300]
    refused = analyst.sql(database_id, "CREATE TABLE marts.analyst_scratch AS SELECT 1 AS x")
    assert refused.status_code >= 400 and "DML_NOT_ALLOWED" in refused.text, refused.text[:300]
    # Even with SQL Lab's DML guard switched off, the connection itself is read-only.
    assert admin.session.put(f"{superset_server.url}/api/v1/database/{database_id}",
                             json={"allow_dml": True}, timeout=60).ok
    try:
        attempt = admin.sql(database_id, "CREATE TABLE marts.admin_scratch AS SELECT 1 AS x")
        assert attempt.status_code >= 400 and "read-only" in attempt.text, attempt.text[:300]
    finally:
        admin.session.put(f"{superset_server.url}/api/v1/database/{database_id}", json={"allow_dml": False},
                          timeout=60)
    con = duckdb.connect(str(published_serving), read_only=True)
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert not {"analyst_scratch", "admin_scratch"} & tables


def _worst_communes(serving: Path) -> list[tuple[str, str]]:
    """The warehouse's answer: the five worst current communes of the latest complete month
    by the headline indicator, worst first, with their rank change."""
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return con.execute("""
            SELECT u.unit_name, b.rank_change_symbol
            FROM marts.mart_unit_ranking_board b JOIN marts.dim_unit u USING (unit_key)
            WHERE b.is_headline_indicator AND b.is_latest_period AND b.period_type = 'month'
              AND b.peer_group = 'commune' AND u.is_current AND b.is_ranked
            ORDER BY b.bottom_position LIMIT 5""").fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_leader_sees_the_ranking_dashboard_in_a_browser(superset_server, admin, published_serving, tmp_path):
    """As lanhdao, with no filter set, the first screen answers "which five communes are worst
    this month, and how did they move?": the bars of the communes' bottom chart (the labels
    on its axis, from the data the page received) are the warehouse's five worst."""
    screenshot = tmp_path / "xep-hang.png"
    ranking = next(d for d in DASHBOARDS if d.slug == "cchc-xep-hang")
    expected = len(ranking.first_view())
    result = subprocess.run(
        [str(superset_server.venv_bin / "python"), "-m", "cchc.bi.browser", "--url", superset_server.url,
         "--user", "lanhdao", "--password", DEMO_PASSWORD, "--dashboard", ranking.slug, "--out", str(screenshot),
         "--expected-charts", str(expected), "--chart-data", "--height", "1000"],
        env=superset_server.env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == [] and report["rendered"] == expected
    assert report["title"].startswith("2. Xếp hạng đơn vị")
    assert screenshot.stat().st_size > 20_000
    bottom = CHARTS_BY_KEY["ranking_commune_bottom"]
    first_row = report["texts"][len(ranking.availability):][:2]  # under the data-status line
    assert any(t["text"].startswith(bottom.title) for t in first_row), "the chart is on the first row"
    bars, median_line = report["chart_data"][str(_chart_ids(admin)[bottom.title])]
    labels = [row["chart_label"] for row in bars["data"]]  # the x axis, in drawing order
    # "<position>. <name, maybe on two lines>\n<rank change>"
    shown = [(name.replace("\n", " "), change) for name, change in
             (label.split(". ", 1)[1].rsplit("\n", 1) for label in labels)]
    assert labels == sorted(labels) and [label.split(". ")[0] for label in labels] == ["1", "2", "3", "4", "5"]
    assert shown == _worst_communes(published_serving)
    assert len({row["province_median"] for row in median_line["data"]}) == 1  # one median, a flat line
    if os.environ.get("CCHC_SCREENSHOT_DIR"):  # refresh docs/images/ on purpose only
        Path(os.environ["CCHC_SCREENSHOT_DIR"], "dashboard-cchc-xep-hang.png").write_bytes(screenshot.read_bytes())



# Every dashboard a login lists is one whose datasets it may all read (issue #15: `donvi` and
# `chatluong` opened dashboards drawing "Data error … all_datasource_access" boxes).
ALL_DASHBOARDS = {d.slug for d in DASHBOARDS}
DASHBOARDS_BY_LOGIN = {
    "admin": ALL_DASHBOARDS, "lanhdao": ALL_DASHBOARDS, "phantich": ALL_DASHBOARDS,
    # no province totals (disbursement curve) nor dbt's test results for a unit
    "donvi": {"cchc-tong-quan", "cchc-xep-hang", "cchc-ho-so", "cchc-papi", "cchc-don-vi"},
    "chatluong": {"cchc-papi", "cchc-chat-luong"},
}


def _password_of(login: str) -> str:
    return ADMIN_PASSWORD if login == "admin" else DEMO_PASSWORD


@pytest.mark.slow
def test_each_role_lists_and_opens_only_the_dashboards_it_can_read(superset_server, admin):
    listed, refused = {}, {}
    ids = {row["slug"]: row["id"] for row in admin.list_all("dashboard", ["id", "slug"])}
    for login in DASHBOARDS_BY_LOGIN:
        client = SupersetClient(superset_server.url, login, _password_of(login))
        listed[login] = {row["slug"] for row in client.list_all("dashboard", ["slug"])}
        refused[login] = {slug for slug, id_ in ids.items()
                          if client.get(f"/api/v1/dashboard/{id_}").status_code in (403, 404)}
    assert listed == DASHBOARDS_BY_LOGIN
    assert refused == {login: ALL_DASHBOARDS - slugs for login, slugs in DASHBOARDS_BY_LOGIN.items()}


# Lists of failures: empty is the good news (the fixture's snapshot has one validation run).
FAILURE_LISTS = ("quality_units", "quality_dbt_failing")


@pytest.mark.slow
@pytest.mark.parametrize("login", sorted(DASHBOARDS_BY_LOGIN))
def test_every_dashboard_a_role_opens_renders_without_an_error_box(superset_server, published_serving, login,
                                                                    tmp_path):
    """Every dashboard Superset lists for the login (not the list we expect) opens in a
    browser as that login with all its charts drawn, no error box, and on its default view
    no chart empty and no English empty state ("No results", "No data", a big number N/A);
    the same for each of its tabs, chosen in turn. A list of failures may be empty, in
    Vietnamese, only when the snapshot holds none."""
    client = SupersetClient(superset_server.url, login, _password_of(login))
    slugs = sorted(row["slug"] for row in client.list_all("dashboard", ["slug"]))
    result = subprocess.run(
        [str(superset_server.venv_bin / "python"), "-m", "cchc.bi.browser", "--url", superset_server.url,
         "--user", login, "--password", _password_of(login), "--out", str(tmp_path / f"{login}.png"), "--all-tabs",
         *[arg for slug in slugs for arg in ("--dashboard", slug)]],
        env=superset_server.env(), capture_output=True, text=True, timeout=120 * len(slugs), check=False)
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    above_tabs = {d.slug: sum(map(len, d.rows)) for d in DASHBOARDS}
    expected = {d.slug: ([], len(d.first_view()), [(t.title, [], above_tabs[d.slug] + sum(map(len, t.rows)))
                                                   for t in d.tabs[1:]]) for d in DASHBOARDS}
    assert {r["dashboard"]: (r["errors"], r["charts"], [(t["tab"], t["errors"], t["charts"]) for t in r["tabs"]])
            for r in reports} == {slug: expected[slug] for slug in slugs}, result.stderr[-3000:]
    views = [view for r in reports for view in (r, *r["tabs"])]
    assert all(v["rendered"] == v["charts"] for v in views), reports
    empty = {(r["dashboard"], t["text"].split("\n", 1)[0]): t["english_empty"]
             for r in reports for view in (r, *r["tabs"]) for t in view["texts"] if t["empty"] or t["english_empty"]}
    with duckdb.connect(str(published_serving), read_only=True) as con:
        no_failures = {CHARTS_BY_KEY[key].title for key in FAILURE_LISTS if con.execute(
            f"SELECT count(*) FROM reporting.{CHARTS_BY_KEY[key].dataset} WHERE {_where(CHARTS_BY_KEY[key])}").fetchone()[0] == 0}
    empty = {chart: english for chart, english in empty.items() if english or chart[1] not in no_failures}
    assert empty == {}, "charts drawing an empty state (English text, if any) on the default view"

# Headline figures read from the rendered dashboards against the marts: chart key ->
# mart_dossier_kpis_area column (rates in %), province-wide, on the default view (the last
# complete month) and with the months of 2022 chosen in the URL.
HEADLINES = {
    "cchc-tong-quan": {"overview_on_time": "on_time_rate", "overview_online": "online_share",
                       "overview_input_digitisation": "input_digitisation_rate",
                       "overview_output_digitisation": "output_digitisation_rate"},
    "cchc-ho-so": {"dossier_received": "received_total", "dossier_finished": "finished_total",
                   "dossier_finished_on_time": "finished_early + finished_on_time", "dossier_finished_late": "finished_late"},
}


def _month_filter_query(slug: str, months: list[str]) -> str:
    """Dashboard URL parameter that opens it with its month filter set (rison)."""
    from urllib.parse import quote

    filter_id = f"NATIVE_FILTER-{slug}-month_label"
    values = ",".join(f"'{m}'" for m in months)
    state = (f"('{filter_id}':(extraFormData:(filters:!((col:month_label,op:IN,val:!({values})))),"
             f"filterState:(value:!({values})),id:'{filter_id}'))")
    return "native_filters=" + quote(state, safe="")


def _figure(drawn: str) -> float:
    """A big number as drawn with the Vietnamese D3 format: 36,85% -> 36.85, 17.482 -> 17482."""
    return float(drawn.strip().rstrip("%").replace(".", "").replace(",", "."))


def _province_kpis(con, columns: list[str], period: str, start: str) -> dict:  # type: ignore[no-untyped-def]
    """The province's figures for a month or a year, all levels (mart_dossier_kpis_area)."""
    row = con.execute(f"""
        SELECT {', '.join(columns)} FROM marts.mart_dossier_kpis_area a
        JOIN marts.dim_unit u ON u.unit_key = a.area_unit_key
        WHERE u.unit_level = 'province' AND a.unit_scope = 'all' AND a.period_type = '{period}'
          AND a.period_start = DATE '{start}'""").fetchone()
    return dict(zip(columns, row))


@pytest.mark.slow
def test_headline_figures_in_the_browser_equal_the_marts(superset_server, published_serving, tmp_path):
    """One login opens each dashboard twice: on its default view, whose headline must be the
    province's figures for the last complete month (rpt_reporting_periods), every unit of
    it in force (the default unit status); and with the twelve months of 2022 chosen."""
    con = duckdb.connect(str(published_serving), read_only=True)
    columns = sorted({c for charts in HEADLINES.values() for c in charts.values()})
    last_month, label = con.execute("""SELECT period_start, month_label FROM reporting.rpt_reporting_periods
        WHERE period_type = 'month' AND complete_order = 1 AND is_complete""").fetchone()
    reorganised = con.execute("""SELECT count(*) FROM marts.mart_dossier_kpis_unit k JOIN marts.dim_unit u USING (unit_key)
        WHERE k.period_type = 'month' AND k.period_start = ? AND NOT u.is_current""", [last_month]).fetchone()[0]
    marts = {"default": _province_kpis(con, columns, "month", str(last_month)),
             "2022": _province_kpis(con, columns, "year", "2022-01-01")}
    months_2022 = [m for (m,) in con.execute("""SELECT month_label FROM reporting.rpt_reporting_periods
        WHERE period_type = 'month' AND year = 2022 ORDER BY period_start""").fetchall()]
    con.close()
    assert reorganised == 0 and len(months_2022) == 12 and label.startswith("Tháng ")
    views = {(slug, view): slug + ("" if view == "default" else "?" + _month_filter_query(slug, months_2022))
             for slug in HEADLINES for view in marts}
    result = subprocess.run(
        [str(superset_server.venv_bin / "python"), "-m", "cchc.bi.browser", "--url", superset_server.url,
         "--user", "lanhdao", "--password", DEMO_PASSWORD, "--out", str(tmp_path / "headline.png"),
         *[arg for page in views.values() for arg in ("--dashboard", page)]],
        env=superset_server.env(), capture_output=True, text=True, timeout=600, check=False)
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0 and len(reports) == len(views), result.stdout[-3000:] + result.stderr[-3000:]
    charts = {c.key: c for c in CHARTS}
    shown, expected = {}, {}
    for (slug, view), report in zip(views, reports):
        for key, column in HEADLINES[slug].items():
            title = charts[key].title
            drawn = next(t["big_number"] for t in report["texts"] if t["text"].startswith(title))
            shown[view, key] = _figure(drawn)
            value = marts[view][column]
            expected[view, key] = round(value, 2) if column.endswith(("rate", "share")) else value
    assert shown == expected
    # The figures of the issue: counted from the tracking start, not 23.30% / 14.84%.
    assert shown["2022", "overview_input_digitisation"] not in (0, 23.30)
