"""Open a dashboard in headless Chromium as a given user, wait until every chart has
rendered, fail on a chart error, and save a screenshot.

Runs in the Superset environment (selenium lives there), e.g.

    .venv/superset/bin/python -m cchc.bi.browser --url http://127.0.0.1:8088 \
        --user lanhdao --password demo-cchc --dashboard cchc-xep-hang --out ranking.png

Prints one JSON line per dashboard (``--dashboard`` may repeat; one login):
{"dashboard": slug, "charts": N, "rendered": N, "errors": [...], "screenshot": path,
"load_ms": navigation start to every chart drawn, as the page's own clock (performance.now())
tells, or null when they were not all drawn, "reload_ms": [one per --repeat],
"texts": [{"text": each chart's text as drawn, "big_number": its figure or null,
"empty": whether it drew an empty state instead of data, "english_empty": the English
empty-state text it shows, or null}]}; exits 1 when a chart failed or did not render in time.
``--query`` adds URL parameters, e.g. ``native_filters=...`` (rison) to open the dashboard
with its filters set; a ``--dashboard`` of the form ``slug?params`` adds its own, so one login
can open a dashboard on its default view and again with filters set. ``--chart-data`` adds
"chart_data": {slice id: the results of the chart data requests the page made}, read from
Chromium's network log: what ECharts draws on its canvas, which the page's text does not
show. ``--repeat N`` reopens each dashboard N more times after the first (the browser's
cache warm, as a leader reopening it) and times each; ``--full-page`` makes the screenshot
the whole dashboard, not the window.

Only the charts shown count: Superset draws the open tab's charts alone, so "charts" are
those the dashboard opens on. ``--all-tabs`` then chooses each other tab in turn and adds
"tabs": [{"tab": its label, "charts", "rendered", "loading", "errors", "texts" as above (the
charts shown with it, those above the tabs included), "shown_ms": from the click to every
chart drawn}]; a failure in any tab fails the run.
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
TAB = "[data-test='dashboard-component-tabs'] .ant-tabs-tab"
ACTIVE_TAB = "ant-tabs-tab-active"
# What a chart draws when it has rendered: ECharts/deck.gl canvas, an SVG, a table, a big number.
RENDERED = "canvas, svg, table, .header-line, .superset-legacy-chart-table"
ERRORS = "[data-test='error-message'], .ant-alert-error, .alert-danger"
LOADING = "[data-test='loading-indicator'], .loading"
BIG_NUMBER = ".header-line"  # the figure a big-number chart draws
# An empty state: Superset's "No results" picture, the table's "No records found", and what a
# chart says when it has nothing to draw, in English or in Vietnamese. A big number of "N/A"
# (no row) is empty too; an "N/A" cell of a table (a null) is not.
EMPTY = ".ant-empty, .no-results-title, [data-test='empty-state']"
ENGLISH_EMPTY = ("No results", "No Results", "No data", "No Data", "No records found", "No matching records found")
VIETNAMESE_EMPTY = ("Không có dữ liệu", "Không có kết quả", "Chưa có dữ liệu", "Không tìm thấy")

# Polls the charts in the page until each has drawn (or one shows an error) and answers the
# page's clock then: milliseconds since the navigation started (performance.now()).
WAIT_RENDERED_JS = """
const [chart, rendered, errors, loading, expected, done] = arguments;
function check() {  // the holders shown: those of a tab not chosen are hidden, and not drawn
  const holders = [...document.querySelectorAll(chart)].filter(h => h.getClientRects().length);
  const failed = holders.some(h => h.querySelector(errors));
  const drawn = holders.filter(h => !h.querySelector(loading) && h.querySelector(rendered)).length;
  if (failed || (holders.length && (expected === null || holders.length >= expected) && drawn === holders.length)) {
    done(performance.now());
  } else {
    setTimeout(check, 20);
  }
}
check();
"""


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


def shown_holders(browser: webdriver.Chrome) -> list:
    return [h for h in browser.find_elements(By.CSS_SELECTOR, CHART) if h.is_displayed()]


def chart_states(browser: webdriver.Chrome) -> tuple[int, int, list[str], int]:
    holders = shown_holders(browser)
    rendered, errors, loading = 0, [], 0
    for holder in holders:
        if holder.find_elements(By.CSS_SELECTOR, ERRORS):
            errors.append(holder.text.strip()[:300])
        elif holder.find_elements(By.CSS_SELECTOR, LOADING):
            loading += 1
        elif holder.find_elements(By.CSS_SELECTOR, RENDERED):
            rendered += 1
    return len(holders), rendered, errors, loading


def login(browser: webdriver.Chrome, url: str, user: str, password: str, timeout: float, attempts: int = 3) -> None:
    """Log in through the form. Tried again (at most `attempts` times, `timeout` in all) when
    the page is still the login form afterwards: on a busy machine the form can be typed into
    before Superset's page has finished drawing it, and an empty form is sent."""
    for _ in range(attempts):
        browser.get(f"{url}/login/")
        wait = WebDriverWait(browser, timeout / attempts)
        wait.until(lambda b: b.execute_script("return document.readyState") == "complete")
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input#username, input[name=username]")))
        username_box = browser.find_element(By.CSS_SELECTOR, "input#username, input[name=username]")
        username_box.clear()
        username_box.send_keys(user)
        password_box = browser.find_element(By.CSS_SELECTOR, "input#password, input[name=password]")
        password_box.clear()
        password_box.send_keys(password)
        password_box.submit() if password_box.get_attribute("form") else None
        browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click() \
            if "/login" in browser.current_url and browser.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]") else None
        try:
            wait.until(lambda b: "/login" not in b.current_url)
            return
        except TimeoutException:
            continue
    raise TimeoutException(f"still on the login page after {attempts} attempts as {user}")


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


def wait_drawn(browser: webdriver.Chrome, *, expected: int | None, timeout: float) -> float | None:
    """Wait in the page until every chart shown has drawn; the page's clock then
    (performance.now()), or None when that did not happen in time."""
    browser.set_script_timeout(timeout)
    try:
        return round(browser.execute_async_script(WAIT_RENDERED_JS, CHART, RENDERED, ERRORS, LOADING, expected), 1)
    except TimeoutException:
        return None


def load(browser: webdriver.Chrome, page: str, *, expected: int | None, timeout: float) -> float | None:
    """Navigate to `page` and wait until every chart has drawn; the page's milliseconds from
    navigation start to then, or None when that did not happen in time."""
    browser.get(page)
    return wait_drawn(browser, expected=expected, timeout=timeout)


def settle(browser: webdriver.Chrome, *, expected: int | None, timeout: float) -> tuple[int, int, list[str], int]:
    """The charts' states once every chart shown has drawn or one failed (or at `timeout`)."""
    deadline = time.monotonic() + timeout
    state: tuple[int, int, list[str], int] = (0, 0, [], 0)
    while time.monotonic() < deadline:
        state = chart_states(browser)
        total, rendered, errors, _ = state
        if errors or (total and (expected is None or total >= expected) and rendered == total):
            break
        time.sleep(1)
    return state


def chart_texts(browser: webdriver.Chrome) -> list[dict]:
    texts = []
    for holder in shown_holders(browser):
        empty, english = empty_state(holder)
        texts.append({"text": holder.text.strip(), "big_number": next(
            (e.text.strip() for e in holder.find_elements(By.CSS_SELECTOR, BIG_NUMBER)), None),
            "empty": empty, "english_empty": english})
    return texts


def other_tabs(browser: webdriver.Chrome, timeout: float) -> list[dict]:
    """Choose each tab after the first in turn, as a reader would, and report its charts."""
    reports = []
    for index in range(1, len(browser.find_elements(By.CSS_SELECTOR, TAB))):
        tab = browser.find_elements(By.CSS_SELECTOR, TAB)[index]
        label = tab.text.strip()
        clicked = browser.execute_script("return performance.now()")
        tab.click()
        # the new tab's charts are shown in the same render as its label turns active
        WebDriverWait(browser, timeout).until(
            lambda b, n=index: ACTIVE_TAB in b.find_elements(By.CSS_SELECTOR, TAB)[n].get_attribute("class"))
        drawn = wait_drawn(browser, expected=None, timeout=timeout)
        total, rendered, errors, loading = settle(browser, expected=None, timeout=timeout)
        reports.append({"tab": label, "charts": total, "rendered": rendered, "loading": loading, "errors": errors,
                        "texts": chart_texts(browser),
                        "shown_ms": None if drawn is None else round(drawn - clicked, 1)})
    return reports


def empty_state(holder) -> tuple[bool, str | None]:
    """Whether a chart drew an empty state instead of data, and the English text it shows."""
    lines = [line.strip() for line in holder.text.splitlines()]
    big = next((e.text.strip() for e in holder.find_elements(By.CSS_SELECTOR, BIG_NUMBER)), None)
    english = next((line for line in lines if line.startswith(ENGLISH_EMPTY)), "N/A" if big == "N/A" else None)
    empty = bool(holder.find_elements(By.CSS_SELECTOR, EMPTY)) or big in ("", "N/A") or english is not None \
        or any(line.startswith(VIETNAMESE_EMPTY) for line in lines)
    return empty, english


def full_page(browser: webdriver.Chrome, width: int) -> None:
    """Grow the window to the dashboard's whole height, so a screenshot holds all of it."""
    height = browser.execute_script(
        "return Math.max(...[document.documentElement, document.body, ...document.querySelectorAll("
        "'.dashboard-content, .grid-container, .dashboard')].map(e => e.scrollHeight))")
    browser.set_window_size(width, int(height) + 120)
    time.sleep(1)  # charts re-fit the new size


def open_dashboard(browser: webdriver.Chrome, url: str, dashboard: str, out: str, *, expected: int | None,
                   timeout: float, query: str = "", with_data: bool = False, repeat: int = 0,
                   whole_page: bool = False, all_tabs: bool = False) -> dict:
    """Open one dashboard in a logged-in browser, wait for its charts (timed), save a
    screenshot; reopen it `repeat` times, timed; with `all_tabs`, then open its other tabs."""
    slug, _, own_query = dashboard.partition("?")
    page = f"{url}/superset/dashboard/{slug}/?" + "&".join(q for q in ("standalone=1", query, own_query) if q)
    window = browser.get_window_size()
    load_ms = load(browser, page, expected=expected, timeout=timeout)
    reloads = [load(browser, page, expected=expected, timeout=timeout) for _ in range(repeat)]
    total, rendered, errors, loading = settle(browser, expected=expected, timeout=timeout)
    time.sleep(1.5)  # let animations (ECharts) settle before the picture
    if whole_page:
        full_page(browser, window["width"])
    browser.save_screenshot(out)
    if whole_page:
        browser.set_window_size(window["width"], window["height"])
    texts = chart_texts(browser)
    data = chart_data(browser) if with_data else None  # the first view's requests
    return {"dashboard": dashboard, "charts": total, "rendered": rendered, "loading": loading, "errors": errors,
            "screenshot": out, "title": browser.title, "load_ms": load_ms, "reload_ms": reloads, "texts": texts,
            **({"chart_data": data} if with_data else {}), **({"tabs": other_tabs(browser, timeout)} if all_tabs else {})}


def capture(url: str, user: str, password: str, dashboards: list[str], out: str, *, expected: int | None,
            timeout: float, width: int, height: int, query: str = "", with_data: bool = False, repeat: int = 0,
            whole_page: bool = False, all_tabs: bool = False) -> list[dict]:
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
                               with_data=with_data, repeat=repeat, whole_page=whole_page, all_tabs=all_tabs)
                for dashboard, shot in zip(dashboards, outs)]
    except TimeoutException as exc:
        browser.save_screenshot(outs[0])
        return [{"dashboard": dashboards[0], "charts": 0, "rendered": 0, "loading": 0,
                 "errors": [f"timeout: {exc.msg}"], "screenshot": outs[0], "url": browser.current_url,
                 "load_ms": None, "reload_ms": [], "texts": []}]
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
    parser.add_argument("--repeat", type=int, default=0, help="reopen each dashboard N more times, timed")
    parser.add_argument("--full-page", action="store_true", help="screenshot the whole dashboard")
    parser.add_argument("--all-tabs", action="store_true", help="then open each other tab and report its charts")
    args = parser.parse_args(argv)
    results = capture(args.url, args.user, args.password, args.dashboard, args.out, expected=args.expected_charts,
                      timeout=args.timeout, width=args.width, height=args.height, query=args.query,
                      with_data=args.chart_data, repeat=args.repeat, whole_page=args.full_page, all_tabs=args.all_tabs)
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    ok = len(results) == len(args.dashboard) and all(
        not r["errors"] and r["charts"] and r["rendered"] == r["charts"]
        and (args.expected_charts is None or r["charts"] == args.expected_charts)
        and all(not t["errors"] and t["charts"] and t["rendered"] == t["charts"] for t in r.get("tabs", []))
        for r in results)
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
