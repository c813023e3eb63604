"""The maps in a real browser: headless Chromium opens map.html offline, without JS errors.

Needs Debian's ``chromium`` and ``chromium-driver`` packages and the ``selenium`` package;
selenium is given the driver's path, so it never downloads one. Every http(s) request is
blocked (the OpenStreetMap tiles), so the test shows the maps work offline.

``RURALNET_UPDATE_SCREENSHOTS=1`` also copies the county screenshot to
``docs/img/map_browser_test.png``.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ruralnet as rn
from ruralnet.compare import compare_plans

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
SCREENSHOT = ROOT / "docs" / "img" / "map_browser_test.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is absent (apt-get install chromium chromium-driver)",
    ),
]

# collect uncaught errors from the first script on
_CATCH_ERRORS = """
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name is ever looked up
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _CATCH_ERRORS})
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, page: Path) -> None:
    """Load a page and wait until Leaflet has drawn its layer control."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # drop the previous page's messages
    driver.get(page.resolve().as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('.leaflet-control-layers-overlays label').length"
        )
    )


def _js_errors(driver: Any) -> list[str]:
    """Uncaught errors and console errors; blocked tile requests (network) do not count."""
    errors = list(driver.execute_script("return window.__errors || []"))
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE" and entry.get("source") != "network":
            errors.append(entry["message"])
    return errors


def _texts(driver: Any, selector: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim())",
        selector,
    )


def _count(driver: Any, selector: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def _check_plan_map(driver: Any, plan: rn.Plan) -> None:
    assert _js_errors(driver) == []
    assert driver.execute_script("return typeof L") == "object"
    assert driver.execute_script("return typeof jQuery") == "function"
    overlays = _texts(driver, ".leaflet-control-layers-overlays label")
    for name in ("Villages", "Stations", "Centres", "Hub", "Roads", "Links: van"):
        assert name in overlays, overlays
    if plan.inputs.boundary is not None:
        assert "County boundary" in overlays
    assert "Blank (offline)" in _texts(driver, ".leaflet-control-layers-base label")
    assert _count(driver, ".ruralnet-station") == len(plan.stations)
    assert _count(driver, ".ruralnet-centre") == len(plan.centres)
    assert _count(driver, ".ruralnet-hub") == len(plan.hubs)
    covered = int(plan.villages["covered"].sum())
    # villages (circle markers), access lines, links, roads and boundary are SVG paths; with
    # routes, the straight van links start hidden and the routes are drawn instead
    links = plan.links if plan.routes is None else plan.links[plan.links["mode"] != "van"]
    routes = 0 if plan.routes is None else len(plan.routes.routes)
    least = len(plan.villages) + covered + len(links) + routes + len(plan.inputs.roads)
    assert _count(driver, "path.leaflet-interactive") >= least
    legend = driver.execute_script("return document.getElementById('ruralnet-legend').textContent")
    assert plan.inputs.meta.name in legend
    assert plan.scenario.scenario.name in legend
    if plan.inputs.meta.generated:
        assert "Generated data" in legend


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[rn.Plan, Path]:
    plan = rn.solve(DATA / "tiny.toml")
    folder = tmp_path_factory.mktemp("tiny") / "out"
    plan.write(folder)
    return plan, folder / "map.html"


def test_tiny_map_initialises_with_layers_markers_and_legend(browser: Any, tiny):
    plan, page = tiny
    _open(browser, page)
    _check_plan_map(browser, plan)
    assert _count(browser, ".ruralnet-station") == 5


def test_popups_open(browser: Any, tiny):
    plan, page = tiny
    _open(browser, page)
    browser.execute_script(
        "document.querySelector('.ruralnet-hub').closest('.leaflet-marker-icon').click()"
    )
    time.sleep(0.3)
    popup = " ".join(_texts(browser, ".leaflet-popup-content"))
    assert plan.hubs["hub_id"].iloc[0] in popup
    assert "status" in popup
    assert _js_errors(browser) == []


def test_comparison_map_in_browser(browser: Any, tiny, tmp_path: Path):
    shared = tiny[0].scenario.with_overrides({"service": {"rule": "within_distance"}})
    plan_a = rn.solve(shared)  # stations shared within 5 km: cheap access moves V1 and V5
    plan_b = rn.solve(shared.with_overrides({"service": {"access_yuan_per_parcel_km": 0.01}}))
    comparison = compare_plans(plan_a, plan_b)
    page = comparison.save_map(tmp_path / "compare.html")
    _open(browser, page)
    assert _js_errors(browser) == []
    overlays = _texts(browser, ".leaflet-control-layers-overlays label")
    for name in ("Stations only in A", "Stations only in B", "Stations in both", "Hub"):
        assert name in overlays, overlays
    assert _count(browser, ".ruralnet-compare-station-only_a") == len(comparison.stations_only_a)
    assert _count(browser, ".ruralnet-compare-station-both") == len(comparison.stations_both)
    legend = browser.execute_script(
        "return document.getElementById('ruralnet-compare-legend').textContent"
    )
    assert "station only in A (2)" in legend


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.slow
def test_county_map_screenshot(browser: Any, tmp_path: Path):
    scenario = rn.load_scenario(ROOT / "scenarios" / "dongchangfu.toml")
    plan = rn.solve(scenario.with_overrides({"solver": {"time_limit_s": 60}})).with_routes()
    plan.write(tmp_path / "out")
    _open(browser, tmp_path / "out" / "map.html")
    _check_plan_map(browser, plan)
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')].map(l => l.textContent)"
    )
    assert any("Van routes" in label for label in labels), labels
    # the offline base layer, as a reader without network sees the page
    browser.execute_script(
        """for (const label of document.querySelectorAll('.leaflet-control-layers-base label')) {
             if (label.textContent.includes('Blank')) label.querySelector('input').click();
           }"""
    )
    time.sleep(0.5)
    shot = tmp_path / "map_browser_test.png"
    assert browser.save_screenshot(str(shot))
    width, height = _png_size(shot)
    assert width >= 1000 and height >= 600
    assert shot.stat().st_size > 50_000  # a drawn map, not a blank page
    if os.environ.get("RURALNET_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)


@pytest.fixture(scope="module")
def tiny_zh(tmp_path_factory: pytest.TempPathFactory) -> tuple[rn.Plan, Path]:
    from ruralnet import cli

    folder = tmp_path_factory.mktemp("tiny_zh") / "out"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(folder), "--lang", "zh", "-q"]) == 0
    plan = rn.solve(
        rn.load_scenario(DATA / "tiny.toml").with_overrides({"report": {"language": "zh"}})
    )
    return plan, folder


def test_chinese_map_in_browser(browser: Any, tiny_zh):
    plan, folder = tiny_zh
    _open(browser, folder / "map.html")
    assert _js_errors(browser) == []
    overlays = _texts(browser, ".leaflet-control-layers-overlays label")
    for name in ("行政村", "村级服务站", "共配中心", "县级分拨中心", "道路", "线路：货车"):
        assert name in overlays, overlays
    assert "Villages" not in overlays and "Stations" not in overlays
    assert "空白底图（离线）" in _texts(browser, ".leaflet-control-layers-base label")
    assert _count(browser, ".ruralnet-station") == len(plan.stations)
    assert _count(browser, ".ruralnet-centre") == len(plan.centres)
    legend = browser.execute_script("return document.getElementById('ruralnet-legend').textContent")
    assert "乡镇快递共配中心" in legend or "共配中心" in legend, legend


def test_chinese_report_html_in_browser(browser: Any, tiny_zh):
    from selenium.webdriver.support.ui import WebDriverWait

    plan, folder = tiny_zh
    browser.get_log("browser")
    browser.get((folder / "report.html").resolve().as_uri())
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    headings = _texts(browser, "h2")
    for heading in ("政策目标", "地图"):
        assert any(heading in h for h in headings), headings
    assert _count(browser, "svg rect") >= 1  # the cost chart
    rows = _count(browser, "table tr")
    assert rows >= 2
    assert _js_errors(browser) == []
    # the map inside the report's iframe draws too, offline, in Chinese
    browser.switch_to.frame(browser.find_element("css selector", "iframe"))
    try:
        WebDriverWait(browser, 30).until(
            lambda d: d.execute_script(
                "return document.querySelectorAll('.leaflet-control-layers-overlays label').length"
            )
        )
        assert "村级服务站" in _texts(browser, ".leaflet-control-layers-overlays label")
        assert _count(browser, ".ruralnet-station") == len(plan.stations)
    finally:
        browser.switch_to.default_content()
