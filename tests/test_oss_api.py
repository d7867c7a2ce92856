"""The one-stop-shop API contract, against a real server process over simulated data."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import requests

from cchc.simulator.config import preset
from cchc.simulator.run import simulate
from cchc.sources.oss import openapi

AS_OF = "2025-08-20T18:00:00"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, settings):
    out = tmp_path_factory.mktemp("oss-api")
    return simulate(preset("faulty", start=date(2025, 6, 1), end=date(2025, 8, 15)), out, settings.reference_dir)


@pytest.fixture()
def server(oss_server_factory, simulated):
    return oss_server_factory(simulated.oss_db, as_of=AS_OF)


def get(server, path, token="demo-oss-token", **params):
    return requests.get(f"{server.url}/api/v1/{path}", params=params, timeout=60,
                        headers={"Authorization": f"Bearer {token}"} if token else {})


def all_pages(server, path, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = get(server, path, **params, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_auth_rejects_missing_and_bad_tokens(server):
    assert get(server, "dossiers", token=None).status_code == 401
    assert get(server, "dossiers", token="wrong").status_code == 401
    response = requests.put(f"{server.url}/admin/clock", json={"as_of": AS_OF}, timeout=10,
                            headers={"Authorization": "Bearer demo-oss-token"})
    assert response.status_code == 401
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200


def test_pagination_returns_every_record_exactly_once(server):
    items = all_pages(server, "dossiers", limit=97)
    keys = Counter((i["dossier_id"], i["updated_at"]) for i in items)
    copies = Counter(i["dossier_id"] for i in items)
    # The faulty source sends some records twice, always as adjacent identical copies.
    twice = {k for k, n in keys.items() if n == 2}
    assert set(keys.values()) <= {1, 2} and twice
    assert {k[0] for k in twice} == {d for d, n in copies.items() if n == 2}
    big_pages = all_pages(server, "dossiers", limit=5000)
    assert Counter((i["dossier_id"], i["updated_at"]) for i in big_pages) == keys
    assert all(i["updated_at"] <= AS_OF + "+07:00" and i["received_at"] <= i["updated_at"] for i in items)


def test_updated_since_returns_exactly_the_later_changes(server):
    everything = all_pages(server, "dossiers", limit=1000)
    since = "2025-08-10T12:00:00+07:00"
    expected = Counter(i["dossier_id"] for i in everything if i["updated_at"] > since)
    changed = all_pages(server, "dossiers", limit=1000, updated_since=since)
    assert Counter(i["dossier_id"] for i in changed) == expected and expected
    # The same instant written in UTC selects the same records.
    utc = all_pages(server, "dossiers", limit=1000, updated_since="2025-08-10T05:00:00Z")
    assert Counter(i["dossier_id"] for i in utc) == expected


def test_state_follows_the_clock(server):
    before = {i["dossier_id"]: i for i in all_pages(server, "dossiers", limit=5000)}
    server.admin("clock", {"as_of": "2025-09-30T18:00:00+07:00"})
    after = {i["dossier_id"]: i for i in all_pages(server, "dossiers", limit=5000)}
    assert set(before) <= set(after)
    progressed = [d for d, i in before.items() if i["status"] == "in_progress" and after[d]["status"] == "finished"]
    assert progressed
    assert all(after[d]["updated_at"] > before[d]["updated_at"] for d in progressed)


def test_daily_counts_match_the_records(server):
    items = all_pages(server, "dossiers", limit=5000)
    unique = {i["dossier_id"]: i for i in items}
    received = Counter((i["unit_key"], i["received_at"][:10]) for i in unique.values())
    counts = all_pages(server, "daily-counts", limit=500, date_from="2025-06-01", date_to="2025-08-20")
    assert {(c["unit_key"], c["day"]): c["received"] for c in counts if c["received"]} == dict(received)


def test_transient_errors_are_retryable_responses(server):
    server.admin("faults", {"error_rate": 1.0})
    statuses = Counter()
    for _ in range(20):
        response = get(server, "dossiers", limit=1)
        statuses[response.status_code] += 1
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "1"
    assert set(statuses) == {429, 503}
    server.admin("faults", {"error_rate": 0.0})
    assert get(server, "dossiers", limit=1).status_code == 200


def test_bad_requests_are_refused_clearly(server):
    assert get(server, "dossiers", cursor="not-a-cursor").status_code == 400
    assert get(server, "daily-counts", date_from="2025-08-02", date_to="2025-08-01").status_code == 422
    assert get(server, "dossiers", limit=0).status_code == 422


def test_committed_openapi_document_is_current(settings):
    committed = (settings.project_root / "docs" / "sources" / "oss-openapi.json").read_text(encoding="utf-8")
    assert committed == openapi.render(), "run `cchc oss openapi` and commit docs/sources/oss-openapi.json"
