"""Collect the interface strings a user sees in Superset, in one headless Chromium session:
the login page, then (logged in) the home page, the dashboard list, each dashboard with
its filter bar, and SQL Lab.

Runs in the Superset environment (selenium lives there), e.g.

    .venv/superset/bin/python -m cchc.bi.ui_strings --url http://127.0.0.1:8088 \
        --user admin --password admin --dashboard cchc-tong-quan --dashboard cchc-papi

Prints one JSON object: {"lang": the page's language, "pages": {page: [strings]}} where a
page's strings are its visible text nodes and the placeholder, title and aria-label of
its visible elements (whitespace collapsed, sorted). Whether a string is an untranslated
Superset message is for the caller to decide (``cchc.bi.translations.untranslated``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from cchc.bi.browser import chart_states, driver, login

# Text nodes and attributes of rendered, visible elements. An icon's aria-label is the
# icon's name ("down", "close-circle"), not text a user reads: skipped.
COLLECT = """
const seen = new Set();
const add = (s) => { s = (s || '').replace(/\\s+/g, ' ').trim(); if (s) seen.add(s); };
const visible = (e) => e && (!e.checkVisibility || e.checkVisibility({visibilityProperty: true}));
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const p = n.parentElement;
  if (p && !['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(p.tagName) && visible(p)) add(n.nodeValue);
}
for (const e of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
  if (!visible(e)) continue;
  add(e.getAttribute('placeholder'));
  add(e.getAttribute('title'));
  if (e.getAttribute('role') !== 'img') add(e.getAttribute('aria-label'));
}
return [...seen].sort();
"""
NAVBAR_MENUS = ".ant-menu-submenu-title"  # the navbar's drop-down menus (+, Settings)


def strings(browser) -> list[str]:
    return browser.execute_script(COLLECT)


def with_menus(browser) -> list[str]:
    """The page's strings, plus those of each navbar drop-down opened by hovering it."""
    found = set(strings(browser))
    for menu in browser.find_elements(By.CSS_SELECTOR, NAVBAR_MENUS):
        try:
            ActionChains(browser).move_to_element(menu).perform()
            time.sleep(0.8)
            found.update(strings(browser))
        except Exception:  # noqa: BLE001 (a menu that moved away: its items are optional)
            continue
    ActionChains(browser).move_by_offset(0, 0).move_to_element(browser.find_element(By.TAG_NAME, "body")).perform()
    return sorted(found)


def settle(browser, timeout: float, ready: str) -> None:
    WebDriverWait(browser, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, ready)))
    time.sleep(1.5)


def open_dashboard(browser, url: str, slug: str, timeout: float) -> list[str]:
    """Open a dashboard (navbar, title and filter bar included), wait for every chart,
    scroll through it so lazily drawn charts render too, and collect its strings."""
    browser.get(f"{url}/superset/dashboard/{slug}/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total, rendered, errors, _ = chart_states(browser)
        if errors or (total and rendered == total):
            break
        browser.execute_script("window.scrollBy(0, 600)")
        time.sleep(1)
    browser.execute_script("window.scrollTo(0, 0)")
    time.sleep(1.5)
    return strings(browser)


def open_sqllab(browser, url: str, timeout: float) -> list[str]:
    """SQL Lab as first opened (no tab: an empty state), then with a tab and the result of
    a one-row query (editor toolbar, result pane)."""
    browser.get(f"{url}/sqllab/")
    settle(browser, timeout, "[data-test='sql-editor-tabs']")
    found = set(strings(browser))
    if not browser.find_elements(By.CSS_SELECTOR, ".ace_editor"):
        browser.find_element(By.CSS_SELECTOR, "[data-test='add-tab-icon']").click()
    settle(browser, timeout, ".ace_editor")
    found.update(strings(browser))
    browser.execute_script("ace.edit(document.querySelector('.ace_editor')).setValue('SELECT 1 AS n')")
    browser.find_element(By.CSS_SELECTOR, "[data-test='run-query-action']").click()
    settle(browser, timeout, "[data-test='south-pane'] [role='grid'], [data-test='south-pane'] table, "
                             "[data-test='south-pane'] .ant-alert")
    return sorted(found | set(strings(browser)))


def collect(url: str, user: str, password: str, dashboards: list[str], *, sqllab: bool, timeout: float) -> dict:
    browser = driver(1600, 2400)
    pages: dict[str, list[str]] = {}
    try:
        browser.get(f"{url}/login/")
        settle(browser, timeout, "input#username, input[name=username]")
        pages["login"] = strings(browser)
        login(browser, url, user, password, timeout)
        browser.get(f"{url}/superset/welcome/")
        settle(browser, timeout, "#app")
        pages["welcome"] = with_menus(browser)
        browser.get(f"{url}/dashboard/list/")
        settle(browser, timeout, "table, .ant-table, [data-test='listview-table']")
        pages["dashboard-list"] = strings(browser)
        for slug in dashboards:
            pages[f"dashboard:{slug}"] = open_dashboard(browser, url, slug, timeout)
        if sqllab:
            pages["sqllab"] = open_sqllab(browser, url, timeout)
        lang = browser.execute_script("return document.documentElement.lang")
    finally:
        browser.quit()
    return {"lang": lang, "pages": pages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--dashboard", action="append", default=[], help="slug; repeat for several")
    parser.add_argument("--sqllab", action="store_true", help="open SQL Lab too")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    print(json.dumps(collect(args.url, args.user, args.password, args.dashboard, sqllab=args.sqllab,
                             timeout=args.timeout), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
