"""The warehouse project's structure, read from dbt's manifest: layers flow one way, every
model has a primary-key test, every model and mart column is documented, and the keys and
rates of the marts are tested.

The structural checks need only dbt's manifest (the session's `dbt compile` on an empty
warehouse, shared with the Spark portability guard: seconds). The checks against the built
relations (every column listed in YAML, comments in the warehouse and in the serving
snapshot) reuse the session's built warehouse and are marked slow.

Layers (README, "Documentation and layering rules"):
  staging       sources, seeds, and staging of the same source
  intermediate  staging, intermediate, seeds
  marts         staging, intermediate, seeds, the conformed dimensions (marts/core dim_*),
                and other marts only when the model declares itself a roll-up of them
                (config.meta.rollup_of lists them and the description says "roll-up")
  reporting     marts/reporting (rpt_*): marts and seeds only
  quality       models/quality (qa_*): anything but reporting
Nothing reads reporting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

# Reads that break the rules above, each with its reason and what removes it. The list can
# only shrink: test_known_layer_violations_still_exist fails once one is fixed, so the
# entry is removed with the fix.
KNOWN_VIOLATIONS = {
}

# Marts every mart may join: conformed dimensions, not figures rolled up.
DIMENSIONS = re.compile(r"^dim_")
# Mart columns that must carry at least one data test (test_mart_keys_and_rates_are_tested):
# keys (a unit or other entity key, the primary key's columns) and rates in % (bounded
# shares, not differences or targets in percentage points).
KEY_COLUMN = re.compile(r"(_key|_id)$")
RATE_COLUMN = re.compile(r"(^|_)(rate|share)(_[ab])?$|_pct$")
NOT_A_RATE = re.compile(r"(^|_)gap(_|$)|^target_pct$")
MIN_DESCRIBED_SHARE = 0.95


@pytest.fixture(scope="module")
def manifest(compiled_manifest) -> dict:
    return compiled_manifest


def layer(node: dict) -> str:
    """staging | intermediate | marts | reporting | quality | seed | source | other."""
    if node["resource_type"] in ("seed", "source"):
        return node["resource_type"]
    parts = Path(node["original_file_path"]).parts  # models/<layer>/...
    if parts[1] == "marts" and len(parts) > 2 and parts[2] == "reporting":
        return "reporting"
    return parts[1] if parts[1] in ("staging", "intermediate", "marts", "quality") else "other"


def staging_source(node: dict) -> str:
    """The source a staging node belongs to: its folder, or a source's name."""
    return node["source_name"] if node["resource_type"] == "source" else Path(node["original_file_path"]).parts[2]


def models(manifest: dict) -> dict[str, dict]:
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def every_node(manifest: dict) -> dict[str, dict]:
    return {**manifest["nodes"], **manifest["sources"]}


def rollup_of(node: dict) -> list[str]:
    return (node["config"].get("meta") or {}).get("rollup_of") or []


def layer_violations(manifest: dict) -> set[tuple[str, str, str]]:
    """(reader, read, why) for every read that breaks the layer rules."""
    nodes = every_node(manifest)
    found = set()
    for node in models(manifest).values():
        mine = layer(node)
        for uid in node["depends_on"]["nodes"]:
            dep = nodes[uid]
            theirs = layer(dep)
            if theirs == "reporting":
                why = "nothing reads reporting"
            elif mine == "staging":
                why = None if theirs == "seed" or (
                    theirs in ("source", "staging") and staging_source(dep) == staging_source(node)) \
                    else "staging reads only its own source, its source's staging and seeds"
            elif mine == "intermediate":
                why = None if theirs in ("staging", "intermediate", "seed") \
                    else "intermediate reads staging, intermediate and seeds"
            elif mine == "marts":
                if theirs in ("staging", "intermediate", "seed"):
                    why = None
                elif theirs == "marts":
                    why = None if DIMENSIONS.match(dep["name"]) or dep["name"] in rollup_of(node) \
                        else "a mart reads another mart only as a declared roll-up (config.meta.rollup_of)"
                else:
                    why = "marts read staging, intermediate, marts and seeds"
            elif mine == "reporting":
                # ... and the validation result store, which the quality step writes.
                why = None if theirs in ("marts", "seed") or (
                    theirs == "source" and dep["source_name"] == "quality_results") \
                    else "reporting reads marts, seeds and the quality result store only"
            elif mine == "quality":
                why = None
            else:
                why = f"model outside the layers ({node['original_file_path']})"
            if why:
                found.add((node["name"], dep["name"], why))
    return found


def test_layers_flow_one_way(manifest):
    new = sorted(v for v in layer_violations(manifest) if v[:2] not in KNOWN_VIOLATIONS)
    assert new == [], "\n".join(f"{reader} reads {read}: {why}" for reader, read, why in new)


def test_known_layer_violations_still_exist(manifest):
    """A fixed violation leaves the list (it only shrinks)."""
    current = {v[:2] for v in layer_violations(manifest)}
    assert set(KNOWN_VIOLATIONS) - current == set()


def test_rollups_are_declared_in_the_description_and_read_what_they_list(manifest):
    nodes = every_node(manifest)
    wrong = []
    for node in models(manifest).values():
        listed = rollup_of(node)
        if not listed:
            continue
        read = {nodes[uid]["name"] for uid in node["depends_on"]["nodes"]}
        if set(listed) - read:
            wrong.append(f"{node['name']} lists roll-ups it does not read: {sorted(set(listed) - read)}")
        if "roll-up" not in node["description"].lower():
            wrong.append(f"{node['name']}: the description does not say it is a roll-up")
    assert wrong == []


def test_the_rules_catch_a_mart_reading_a_mart_undeclared(manifest):
    """The check itself: a mart that drops its roll-up declaration is reported."""
    altered = json.loads(json.dumps(manifest))
    node = next(n for n in models(altered).values() if n["name"] == "mart_dossier_kpis_unit")
    node["config"]["meta"] = {}
    assert ("mart_dossier_kpis_unit", "mart_dossier_kpis") in {v[:2] for v in layer_violations(altered)}


def primary_key_tests(manifest: dict) -> dict[str, set[str]]:
    """Model or seed id → the kinds of key test on it: 'combination', or 'unique:<col>' and
    'not_null:<col>'."""
    keys: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or meta.get("name") not in ("unique", "not_null", "unique_combination_of_columns"):
            continue
        if (node["config"].get("where")):  # a filtered test proves nothing about the whole table
            continue
        target = node.get("attached_node") or next(iter(node["depends_on"]["nodes"]), None)
        kind = "combination" if meta["name"] == "unique_combination_of_columns" else f"{meta['name']}:{node.get('column_name')}"
        keys.setdefault(target, set()).add(kind)
    return keys


def has_primary_key(kinds: set[str]) -> bool:
    return "combination" in kinds or any(
        k.startswith("unique:") and f"not_null:{k.split(':', 1)[1]}" in kinds for k in kinds)


def test_every_model_and_seed_has_a_primary_key_test(manifest):
    keys = primary_key_tests(manifest)
    missing = sorted(n["name"] for uid, n in manifest["nodes"].items()
                     if n["resource_type"] in ("model", "seed") and not has_primary_key(keys.get(uid, set())))
    assert missing == []


def test_every_model_is_described(manifest):
    assert sorted(n["name"] for n in models(manifest).values() if not n["description"].strip()) == []


def test_every_documented_mart_column_has_a_description(manifest):
    """Manifest only: what the YAML lists is described (the slow test below checks that
    the YAML lists every column the relation has)."""
    empty = sorted(f"{n['name']}.{c}" for n in models(manifest).values()
                   if layer(n) in ("marts", "reporting", "quality")
                   for c, col in n["columns"].items() if not col.get("description", "").strip())
    assert empty == []


def test_the_shared_doc_blocks_are_used(manifest):
    """The shared definitions reach the columns (doc() rendered), so one concept has one text."""
    unit_key_doc = manifest["docs"]["doc.cchc.unit_key"]["block_contents"].strip()
    marts = [n for n in models(manifest).values() if layer(n) == "marts" and "unit_key" in n["columns"]]
    assert marts and all(n["columns"]["unit_key"]["description"].startswith(unit_key_doc) for n in marts)


def columns_under_test(manifest: dict) -> dict[str, set[str]]:
    """Model id → columns some data test checks (a column test, or a column of a
    unique-combination test)."""
    tested: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        target = node.get("attached_node")
        columns = set()
        if node.get("column_name"):
            columns.add(node["column_name"])
        kwargs = node["test_metadata"].get("kwargs") or {}
        columns.update(kwargs.get("combination_of_columns") or [])
        tested.setdefault(target, set()).update(columns)
    return tested


def test_mart_keys_and_rates_are_tested(manifest):
    """Scope: in the marts (reporting included), every column named *_key or *_id, and
    every rate or share in % (*_rate, *_share, *_pct; not gaps or targets in percentage
    points), has at least one data test: not_null, relationships, accepted_range, a unique
    key, ... The quality datasets (qa_*) are out of scope: their values, an unknown unit or
    an impossible rate included, are what the Great Expectations suites check."""
    tested = columns_under_test(manifest)
    untested = sorted(
        f"{n['name']}.{c}" for uid, n in models(manifest).items() if layer(n) in ("marts", "reporting")
        for c in n["columns"]
        if (KEY_COLUMN.search(c) or (RATE_COLUMN.search(c) and not NOT_A_RATE.search(c)))
        and c not in tested.get(uid, set()))
    assert untested == [], "\n".join(untested)


# --- against the built warehouse (slow) -------------------------------------------------

def relation_columns(con, node: dict) -> list[tuple[str, str | None]]:
    return con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "ORDER BY column_index", [node["schema"], node["alias"]]).fetchall()


@pytest.fixture(scope="module")
def built(built_warehouse):
    manifest = json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        yield manifest, con


@pytest.mark.slow
def test_every_built_column_is_listed_and_described(built):
    """Every column of every model's relation is listed in its YAML (and no listed column
    is missing from the relation); at least 95% of the marts' columns are described."""
    manifest, con = built
    unlisted, stale, described, total = [], [], 0, 0
    for node in models(manifest).values():
        columns = [c for c, _ in relation_columns(con, node)]
        assert columns, f"{node['name']} was not built"
        unlisted += [f"{node['name']}.{c}" for c in columns if c not in node["columns"]]
        stale += [f"{node['name']}.{c}" for c in node["columns"] if c not in columns]
        if layer(node) in ("marts", "reporting", "quality"):
            total += len(columns)
            described += sum(1 for c in columns if node["columns"].get(c, {}).get("description", "").strip())
    assert unlisted == [] and stale == []
    assert described / total >= MIN_DESCRIBED_SHARE, f"{described}/{total} mart columns described"


@pytest.mark.slow
def test_descriptions_are_comments_of_the_built_marts(built):
    """persist_docs: every described mart column carries its description as a comment."""
    manifest, con = built
    missing = []
    for node in models(manifest).values():
        if layer(node) not in ("marts", "reporting", "quality"):
            continue
        comments = dict(relation_columns(con, node))
        missing += [f"{node['name']}.{c}" for c, col in node["columns"].items()
                    if col.get("description", "").strip() and comments.get(c) != col["description"]]
        table_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
            "UNION ALL SELECT comment FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
            [node["schema"], node["alias"]] * 2).fetchone()
        if not table_comment or table_comment[0] != node["description"]:
            missing.append(node["name"])
    assert missing == []


@pytest.mark.slow
def test_the_serving_snapshot_keeps_the_comments(published_serving, built_warehouse):
    """Analysts read the serving snapshot (SQL Lab): the marts' comments are copied there."""
    query = ("SELECT table_name, column_name, comment FROM duckdb_columns() "
             "WHERE schema_name = 'marts' AND comment IS NOT NULL ORDER BY 1, 2")
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        built_comments = con.execute(query).fetchall()
    with duckdb.connect(str(published_serving), read_only=True) as con:
        served = con.execute(query).fetchall()
    assert built_comments and served == built_comments
