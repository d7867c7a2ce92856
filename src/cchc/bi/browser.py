"""Open a dashboard in headless Chromium as a given user, wait until every chart has
rendered, fail on a chart error, and save a screenshot.

Runs in the Superset environment (selenium lives there), e.g.

    .venv/superset/bin/python -m cchc.bi.browser --url http://127.0.0.1:8088 \
        --user lanhdao --password demo-cchc --dashboard cchc-xep-hang --out ranking.png

Prints one JSON line per dashboard (``--dashboard`` may repeat; one login):
{"dashboard": slug, "charts": N, "rendered": N, "errors": [...], "screenshot": path,
"texts": [{"text": each chart's text as drawn, "big_number": its figure or null}]}; exits 1 when a chart failed or did not render in time.
``--query`` adds URL parameters, e.g. ``native_filters=...`` (rison) to open the dashboard
with its filters set; a ``--dashboard`` of the form ``slug?params`` adds its own, so one login
can open a dashboard on its default view and again with filters set. ``--chart-data`` adds "chart_data": {slice id: the results of the chart
data requests the page made}, read from Chromium's network log: what ECharts draws on its
canvas, which the page's text does not show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHART = ".dashboard-component-chart-holder"
# What a chart draws when it has rendered: ECharts/deck.gl canvas, an SVG, a table, a big number.
RENDERED = "canvas, svg, table, .header-line, .superset-legacy-chart-table"
ERRORS = "[data-test='error-message'], .ant-alert-error, .alert-danger"
LOADING = "[data-test='loading-indicator'], .loading"
BIG_NUMBER = ".header-line"  # the figure a big-number chart draws


def driver(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=vi-VN", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # for --chart-data
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        options.binary_location = chromium
    chromedriver = shutil.which("chromedriver")
    return webdriver.Chrome(options=options, service=Service(chromedriver) if chromedriver else None)


def chart_states(browser: webdriver.Chrome) -> tuple[int, int, list[str], int]:
    holders = browser.find_elements(By.CSS_SELECTOR, CHART)
    rendered, errors, loading = 0, [], 0
    for holder in holders:
        if holder.find_elements(By.CSS_SELECTOR, ERRORS):
            errors.append(holder.text.strip()[:300])
        elif holder.find_elements(By.CSS_SELECTOR, LOADING):
            loading += 1
        elif holder.find_elements(By.CSS_SELECTOR, RENDERED):
            rendered += 1
    return len(holders), rendered, errors, loading


def login(browser: webdriver.Chrome, url: str, user: str, password: str, timeout: float) -> None:
    wait = WebDriverWait(browser, timeout)
    browser.get(f"{url}/login/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input#username, input[name=username]")))
    browser.find_element(By.CSS_SELECTOR, "input#username, input[name=username]").send_keys(user)
    password_box = browser.find_element(By.CSS_SELECTOR, "input#password, input[name=password]")
    password_box.send_keys(password)
    password_box.submit() if password_box.get_attribute("form") else None
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click() \
        if "/login" in browser.current_url and browser.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]") else None
    wait.until(lambda b: "/login" not in b.current_url)


def chart_data(browser: webdriver.Chrome) -> dict[str, list]:
    """Slice id -> the results of the chart data requests since the last call (the network
    log is read once)."""
    found: dict[str, list] = {}
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        response = message.get("params", {}).get("response", {})
        if message["method"] != "Network.responseReceived" or "/api/v1/chart/data" not in response.get("url", ""):
            continue
        form_data = json.loads(parse_qs(urlparse(response["url"]).query).get("form_data", ["{}"])[0])
        body = browser.execute_cdp_cmd("Network.getResponseBody", {"requestId": message["params"]["requestId"]})
        found[str(form_data.get("slice_id"))] = json.loads(body["body"]).get("result", [])
    return found


def open_dashboard(browser: webdriver.Chrome, url: str, dashboard: str, out: str, *, expected: int | None,
                   timeout: float, query: str = "", with_data: bool = False) -> dict:
    """Open one dashboard in a logged-in browser, wait for its charts, save a screenshot."""
    slug, _, own_query = dashboard.partition("?")
    params = "&".join(q for q in ("standalone=1", query, own_query) if q)
    browser.get(f"{url}/superset/dashboard/{slug}/?{params}")
    deadline = time.monotonic() + timeout
    state = (0, 0, [], 0)
    while time.monotonic() < deadline:
        state = chart_states(browser)
        total, rendered, errors, loading = state
        if errors or (total and (expected is None or total >= expected) and rendered == total):
            break
        time.sleep(1)
    time.sleep(1.5)  # let animations (ECharts) settle before the picture
    browser.save_screenshot(out)
    total, rendered, errors, loading = state
    texts = [{"text": holder.text.strip(), "big_number": next(
                  (e.text.strip() for e in holder.find_elements(By.CSS_SELECTOR, BIG_NUMBER)), None)}
             for holder in browser.find_elements(By.CSS_SELECTOR, CHART)]
    return {"dashboard": dashboard, "charts": total, "rendered": rendered, "loading": loading, "errors": errors,
            "screenshot": out, "title": browser.title, "texts": texts,
            **({"chart_data": chart_data(browser)} if with_data else {})}


def capture(url: str, user: str, password: str, dashboards: list[str], out: str, *, expected: int | None,
            timeout: float, width: int, height: int, query: str = "", with_data: bool = False) -> list[dict]:
    """Log in once and open each dashboard in turn; with several, `out` gets the slug
    before its suffix (ranking.png -> ranking-cchc-papi.png)."""
    browser = driver(width, height)
    path = Path(out)
    outs = [out] if len(dashboards) == 1 else [
        str(path.with_name(f"{path.stem}-{d.partition('?')[0]}{f'-{n}' if '?' in d else ''}{path.suffix}"))
        for n, d in enumerate(dashboards)]
    try:
        login(browser, url, user, password, timeout)
        browser.get_log("performance")  # drop the login's requests
        return [open_dashboard(browser, url, dashboard, shot, expected=expected, timeout=timeout, query=query,
                               with_data=with_data)
                for dashboard, shot in zip(dashboards, outs)]
    except TimeoutException as exc:
        browser.save_screenshot(outs[0])
        return [{"dashboard": dashboards[0], "charts": 0, "rendered": 0, "loading": 0,
                 "errors": [f"timeout: {exc.msg}"], "screenshot": outs[0], "url": browser.current_url}]
    finally:
        browser.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--dashboard", required=True, action="append", help="slug or id; repeat for several")
    parser.add_argument("--out", required=True, help="PNG file")
    parser.add_argument("--expected-charts", type=int)
    parser.add_argument("--query", default="", help="extra URL parameters of the dashboard page")
    parser.add_argument("--chart-data", action="store_true", help="add each chart's data request results")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args(argv)
    results = capture(args.url, args.user, args.password, args.dashboard, args.out, expected=args.expected_charts,
                      timeout=args.timeout, width=args.width, height=args.height, query=args.query,
                      with_data=args.chart_data)
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    ok = len(results) == len(args.dashboard) and all(
        not r["errors"] and r["charts"] and r["rendered"] == r["charts"]
        and (args.expected_charts is None or r["charts"] == args.expected_charts) for r in results)
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
