"""Great Expectations Data Docs from a real validation run (a one-suite expectations folder
on a small warehouse): self-contained (no CDN: the index's table renders in Chromium with
every host name unresolvable), every local asset present, times in local time (+07:00)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from cchc.quality import run_validations
from cchc.quality.data_docs import VENDOR_DIR, DataDocsError, publish

SUITE = """\
suite: demo
title_vi: Thử nghiệm
datasets:
  demo:
    unit_columns: [unit_key]
    expectations:
      - name: no_late
        type: expect_column_values_to_be_between
        kwargs: {column: late, max_value: {$PARAMETER: max_late}}
        meta: {severity: warning, title_vi: Hồ sơ trễ hạn, observed: "{late} hồ sơ"}
      - name: has_unit
        type: expect_column_values_to_not_be_null
        kwargs: {column: unit_key}
        meta: {severity: critical, title_vi: Thiếu mã đơn vị}
"""
URL = re.compile(r"https?://[^\s\"'()<>]+")
XML_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
LOCAL_TIME = re.compile(r"(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d) \(UTC\+07:00, Asia/Ho_Chi_Minh\)")


@pytest.fixture(scope="module")
def docs(settings, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data-docs")
    (root / "expectations" / "suites").mkdir(parents=True)
    (root / "expectations" / "config.yml").write_text("max_late: 0\n", encoding="utf-8")
    (root / "expectations" / "suites" / "demo.yml").write_text(SUITE, encoding="utf-8")
    ddl = (settings.dbt_project_dir / "macros" / "quality_result_tables.sql").read_text(encoding="utf-8")
    with duckdb.connect(str(root / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA quality")
        con.execute(re.search(r"create table if not exists quality\.validation_results \(.*?\);", ddl, re.S)[0])
        con.execute("CREATE TABLE quality.qa_demo AS SELECT * FROM (VALUES ('u1', 'Xã A', 0), ('u2', 'Xã B', 3)) "
                    "t(unit_key, unit_name, late)")
    local = settings.relocated(root / "data")
    for run_id in ("earlier", "nightly"):  # the second build replaces the first
        report = run_validations(local, root / "w.duckdb", run_id=run_id, expectations_dir=root / "expectations")
    assert [f.expectation for f in report.failures] == ["no_late"]
    assert Path(report.data_docs_path) == local.quality_dir / "data_docs" / "index.html"
    return local.quality_dir / "data_docs"


def _pages(docs: Path, *suffixes: str) -> list[Path]:
    vendor = docs / "static" / "vendor"
    return [p for p in docs.rglob("*") if p.suffix in suffixes and vendor not in p.parents]


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [v for k, v in attrs if k in ("src", "href", "data-href") and v]

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.slow
def test_no_external_url_is_left(docs):
    pages = _pages(docs, ".html", ".css", ".js")
    assert {p.suffix for p in pages} == {".html", ".css"}
    for page in pages:
        left = set(URL.findall(page.read_text(encoding="utf-8"))) - XML_NAMESPACES
        assert not left, (page, left)
    # The libraries are the vendored npm files, unchanged (their URLs are licence comments
    # and links: the browser test below shows that nothing is fetched).
    vendored = sorted(p.relative_to(docs / "static" / "vendor") for p in (docs / "static" / "vendor").rglob("*")
                      if p.is_file())
    assert vendored == sorted(p.relative_to(VENDOR_DIR) for p in VENDOR_DIR.rglob("*") if p.is_file())
    for path in vendored:
        assert (docs / "static" / "vendor" / path).read_bytes() == (VENDOR_DIR / path).read_bytes()
    assert not docs.with_name("data_docs.build").exists()


def _references(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    if path.suffix == ".html":
        parser = _References()
        parser.feed(text)
        refs += parser.found
    return [r for r in refs if not r.startswith(("data:", "#", "javascript:"))]


@pytest.mark.slow
def test_every_local_asset_exists(docs):
    files = _pages(docs, ".html", ".css") + list((docs / "static" / "vendor").rglob("*.css"))
    missing = [(path, ref) for path in files for ref in _references(path)
               if not (path.parent / ref.split("?")[0].split("#")[0]).exists()]
    assert not missing
    assert sum(len(_references(path)) for path in files) > 20


@pytest.mark.slow
def test_times_are_local_with_their_zone(docs):
    pages = [docs / "index.html", *docs.glob("validations/**/*.html")]
    assert len(pages) == 2  # the site holds the latest run only
    page = pages[1]
    assert page.parts[-3] == "nightly"
    utc = datetime.strptime(page.parts[-2], "%Y%m%dT%H%M%S.%fZ")  # GX names the folder in UTC
    for path in pages:
        parser = _References()
        parser.feed(path.read_text(encoding="utf-8"))
        text = " ".join(parser.text)
        shown = {datetime(int(y), int(m), int(d), int(h), int(mi), int(s))
                 for d, m, y, h, mi, s in LOCAL_TIME.findall(text)}
        assert shown == {utc + timedelta(hours=7)}, (path, shown)
        assert not re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z| UTC)", text), path


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
def test_the_index_lists_the_run_in_a_browser_offline(docs, tmp_path):
    """Every host name is unresolvable (so no CDN), only file: pages load."""
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
         (docs / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    # bootstrap-table drew the rows (from the page's script): one validation, one suite.
    rows = re.findall(r'<tr class="clickable-row" data-href="([^"]+)" data-index="\d+"', dom)
    assert any(r.startswith("validations/demo/demo/nightly/") for r in rows), rows
    assert "expectations/demo/demo.html" in rows
    assert LOCAL_TIME.search(dom)
    assert "net::ERR" not in result.stderr, result.stderr[-2000:]


def test_an_external_url_left_fails_loudly(tmp_path):
    build = tmp_path / "build"
    (build / "static" / "images").mkdir(parents=True)
    (build / "index.html").write_text('<script src="https://cdn.example.org/new-library.js"></script>', encoding="utf-8")
    with pytest.raises(DataDocsError, match=r"cdn\.example\.org/new-library\.js.*ASSETS"):
        publish(build, tmp_path / "docs", datetime(2025, 3, 1, 8, 0).astimezone())
    assert not (tmp_path / "docs").exists()
