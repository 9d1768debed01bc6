"""The site in Debian Chromium (Playwright, /usr/bin/chromium, never `playwright install`), served on 127.0.0.1.

Every non-loopback request goes to a dead proxy (--proxy-server=http://127.0.0.1:9), so "nothing leaves the
origin" is enforced, and every request is recorded and checked. For every calculator: an edited input gives the
CLI's JSON and table for the same inputs, a bad input shows the CLI's message inline, the URL restores the state.
Screenshots (light, dark, mobile) go to artifacts/site/.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from site_helpers import (ROOT, SiteServer, bad_inputs, calculator_pages, changed_inputs, cli, differences,  # noqa: I001
                          ensure_site)
from cookbook import calculators

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements/test.txt")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--proxy-server=http://127.0.0.1:9"]
ARTIFACTS = ROOT / "artifacts" / "site"
BOOT_MS = 90_000  # Python start-up on a loaded 2-core CI machine; typically 3-7 s
NAMES = list(calculators.calculators())


@pytest.fixture(scope="module")
def base_url():
    server = SiteServer(ensure_site())
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def browser():
    import os
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian chromium (apt-get install -y chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Records requests, failures and console errors of a page; ``check`` asserts none went wrong."""

    def __init__(self, page, base_url):
        self.base, self.requests, self.problems = base_url, [], []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))

    def check(self):
        outside = [u for u in self.requests if urllib.parse.urlsplit(u).hostname not in ("127.0.0.1", None)
                   and not u.startswith(("data:", "blob:"))]
        assert outside == [], "requests left the origin"
        assert self.problems == []
        assert self.requests, "no request recorded at all"


@pytest.fixture(scope="module")
def calc_page(browser, base_url):
    """One tab on the calculators page with Python loaded, shared by the per-calculator tests (in order)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    watch = Watch(page, base_url)
    page.goto(f"{base_url}/calculators/")
    page.locator(".cookbook-calc").first.focus()
    page.wait_for_selector('.cookbook-calc[data-engine="ready"]', timeout=BOOT_MS)
    yield page, watch
    watch.check()
    ctx.close()


def _fill(page, block_id: str, inputs: dict):
    """Set a block's form to exactly ``inputs`` (others cleared), the way a user would, then wait for the result."""
    page.eval_on_selector_all(f"#{block_id} details", "els => els.forEach(d => d.open = true)")
    before = page.get_attribute(f"#{block_id}", "data-ticket-done") or ""
    for el in page.query_selector_all(f"#{block_id} [name]"):
        name = el.get_attribute("name")
        want = str(inputs.get(name, ""))
        if el.evaluate("e => e.value") == want:
            continue
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(want)
        else:
            el.fill(want)
    page.press(f"#{block_id} input[name] >> nth=0", "Enter")  # submit with the Enter key
    page.wait_for_function(
        "([id, before]) => { const b = document.getElementById(id);"
        " return b.dataset.ticketDone !== before && b.getAttribute('aria-busy') === null; }",
        arg=[block_id, before], timeout=BOOT_MS)


def _live_json(page, block_id: str):
    text = page.text_content(f"#{block_id} .cookbook-calc__json pre")
    return json.loads(text)


def _live_rows(page, block_id: str):
    return [tuple(r) for r in page.eval_on_selector_all(
        f"#{block_id} .cookbook-calc__table tr", "rows => rows.map(r => [r.cells[0] ? r.querySelector('th')"
        ".textContent : '', r.querySelector('td').textContent])")]


def _same_as_cli(page, block_id, name, inputs, cli_stdout) -> bool:
    """The page's JSON is the CLI's, and its table is rows() of that JSON."""
    got, want = _live_json(page, block_id), json.loads(cli_stdout)
    assert differences(got, want) == []
    assert _live_rows(page, block_id) == [(k.strip(), v) for k, v in calculators.rows(name, got)]
    return True


SHARED: dict[str, str] = {}


@pytest.mark.parametrize("name", NAMES)
def test_changed_input_gives_the_cli_numbers(calc_page, name):
    page, _ = calc_page
    block = f"calc-{name}"
    inputs = changed_inputs(name)
    _fill(page, block, inputs)
    rc, out = cli(name, inputs)
    assert rc == 0, out
    assert page.get_attribute(f"#{block}", "data-state") == "ready"
    assert page.get_attribute(f"#{block} .cookbook-calc__output", "data-source") == "live"
    assert _same_as_cli(page, block, name, inputs, out)
    status = page.text_content(f"#{block} .cookbook-calc__status")
    assert status.startswith(calculators.get(name).title)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert {k.split(".", 1)[1]: v[0] for k, v in q.items() if k.startswith(block + ".")} == {
        k: str(v) for k, v in inputs.items()}
    SHARED[name] = page.url


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_shows_its_message_inline(calc_page, name):
    page, _ = calc_page
    block = f"calc-{name}"
    inputs, field = bad_inputs(name)
    _fill(page, block, inputs)
    rc, err = cli(name, inputs)
    assert rc == 2 and err.startswith("error: ")
    assert page.get_attribute(f"#{block}", "data-state") == "invalid"
    assert page.text_content(f"#{block} .cookbook-calc__error") == "Input error: " + err[len("error: "):]
    assert page.text_content(f"#{block} .cookbook-calc__status") == "Error: " + err[len("error: "):]
    _fill(page, block, changed_inputs(name))  # leave a valid state in the URL for the sharing test
    assert page.get_attribute(f"#{block}", "data-state") == "ready"


def test_keyboard_only_changes_a_preset(calc_page):
    page, _ = calc_page
    sel = "#calc-params-preset"
    page.focus(sel)
    before = page.text_content("#calc-params .cookbook-calc__status")
    page.keyboard.press("ArrowUp" if page.eval_on_selector(sel, "e => e.selectedIndex") > 1 else "ArrowDown")
    page.wait_for_function("b => document.querySelector('#calc-params .cookbook-calc__status').textContent !== b",
                           arg=before, timeout=10_000)
    preset = page.eval_on_selector(sel, "e => e.value")
    rc, out = cli("params", {**changed_inputs("params"), "preset": preset} if preset else changed_inputs("params"))
    assert page.get_attribute("#calc-params", "data-state") in ("ready", "invalid")
    if rc == 0:
        assert _same_as_cli(page, "calc-params", "params", {"preset": preset}, out)


def test_pasted_config_json_gives_the_cli_numbers(calc_page):
    """A Hugging Face config.json pasted into the box: the CLI reads the same file with --hf-config."""
    from cookbook.presets import PRESETS
    page, _ = calc_page
    config = json.dumps(PRESETS["gpt2"]["config"], indent=2)
    inputs = {"hf_config": config, "num_layers": "5"}
    _fill(page, "calc-params", inputs)
    rc, out = cli("params", inputs)
    assert rc == 0, out
    assert _same_as_cli(page, "calc-params", "params", inputs, out)
    _fill(page, "calc-params", {"hf_config": "{not json"})
    assert page.get_attribute("#calc-params", "data-state") == "invalid"
    message = page.text_content("#calc-params .cookbook-calc__error")
    assert message.startswith("Input error: --hf-config ") and "Traceback" not in message
    _fill(page, "calc-params", changed_inputs("params"))


def test_shared_url_restores_every_calculator(browser, base_url, calc_page):
    """The address after the edits above holds every calculator's inputs; a fresh tab restores and recomputes."""
    assert set(SHARED) == set(NAMES), "the edit tests must run first"
    url = SHARED[NAMES[-1]]
    ctx = browser.new_context()
    page = ctx.new_page()
    watch = Watch(page, base_url)
    page.goto(url)
    for name in NAMES:
        block = f"calc-{name}"
        page.wait_for_selector(f'#{block}[data-state="ready"] .cookbook-calc__output[data-source="live"]',
                               timeout=BOOT_MS)
        inputs = changed_inputs(name)
        values = {k: page.eval_on_selector(f"#{block} [name={k}]", "e => e.value") for k in inputs}
        assert values == {k: str(v) for k, v in inputs.items()}
        assert _same_as_cli(page, block, name, inputs, cli(name, inputs)[1])
    watch.check()
    ctx.close()


def _instant_goto(page, url: str):
    """Follow a link the way a reader does; Material's instant navigation swaps the page without a reload."""
    page.evaluate("url => { const a = document.createElement('a'); a.href = url; document.body.append(a);"
                  " a.click(); }", url)
    page.wait_for_function("url => location.href === url && document.readyState === 'complete'", arg=url)


def test_every_calculator_and_math_page_after_instant_navigation(calc_page, base_url):
    """Every page with a calculator or math, reached by in-site navigation from the calculators page: the Python
    worker survives (no reload, calculators live at once), math renders with the self-hosted KaTeX, no errors."""
    page, watch = calc_page
    site = ensure_site()
    math_pages = {p for p in site.rglob("*.html") if 'class="arithmatex"' in p.read_text(encoding="utf-8")}
    pages = sorted(set(calculator_pages(site)) | math_pages)
    page.evaluate("window.__samePage = 1")
    for p in pages:
        rel = p.relative_to(site).parent.as_posix()
        _instant_goto(page, f"{base_url}/{rel}/" if rel != "." else f"{base_url}/")
        assert page.evaluate("window.__samePage") == 1, "the page reloaded: the worker did not survive"
        n = page.locator(".cookbook-calc").count()
        if p in math_pages:
            page.wait_for_selector(".arithmatex .katex", timeout=20_000)
        if n:
            page.wait_for_selector('.cookbook-calc[data-engine="ready"]', timeout=5_000)
            first = page.locator(".cookbook-calc").first.get_attribute("id")
            inputs = json.loads(page.get_attribute(f"#{first}", "data-defaults"))
            _fill(page, first, inputs)
            assert page.get_attribute(f"#{first}", "data-state") == "ready", rel
            name = page.get_attribute(f"#{first}", "data-calc")
            assert _same_as_cli(page, first, name, inputs, cli(name, inputs)[1]), rel
    assert any("/vendor/katex/" in u for u in watch.requests) or not math_pages
    assert sum("pyodide.asm.wasm" in u for u in watch.requests) == 1, "Python was downloaded more than once"


def test_without_javascript_the_build_time_result_shows(browser, base_url):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{base_url}/calculators/")
    table = page.locator("#calc-params .cookbook-calc__table")
    assert table.is_visible()
    rc, out = cli("params", {"preset": "llama-3-8b"})
    total = json.loads(out)["total"]
    assert f"{total:,}" in table.text_content()
    ctx.close()


def test_a_wheel_that_fails_its_hash_is_refused(browser):
    """Served with one byte of each wheel changed, the browser refuses it (SRI from the lock's sha256): the
    calculators say live results are unavailable and keep their build-time results."""
    server = SiteServer(ensure_site(), tamper_wheels=True)
    ctx = browser.new_context()
    page = ctx.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{server.url}/calculators/?calc-params.preset=gpt2")
    page.wait_for_selector('#calc-params[data-engine="failed"]', timeout=BOOT_MS)
    assert "unavailable" in page.text_content("#calc-params .cookbook-calc__engine")
    page.wait_for_function("() => document.querySelector('#calc-params .cookbook-calc__status').textContent"
                           ".includes('unavailable')", timeout=10_000)  # announced to screen readers too
    assert page.get_attribute("#calc-params .cookbook-calc__output", "data-source") == "build"
    assert "Failed to fetch" in console, console
    # control: the same (changed) wheel downloads fine without the integrity check, so the hash refused it
    lock = json.loads((ensure_site() / "pyodide" / "pyodide-lock.json").read_text())
    url = f"{server.url}/pyodide/{lock['packages']['cookbook']['file_name']}"
    assert page.evaluate("u => fetch(u).then(r => r.arrayBuffer()).then(b => b.byteLength)", url) > 1000
    ctx.close()
    server.close()


def test_search_works_offline(browser, base_url):
    ctx = browser.new_context()
    page = ctx.new_page()
    watch = Watch(page, base_url)
    page.goto(f"{base_url}/")
    page.click("input.md-search__input")
    page.keyboard.type("calculator")  # Material's search ignores fill()
    page.wait_for_selector(".md-search-result__item", timeout=20_000)
    assert page.locator(".md-search-result__item").count() >= 1
    watch.check()
    ctx.close()


@pytest.mark.parametrize("mode", ["light", "dark", "mobile"])
def test_screenshots(browser, base_url, mode):
    """Kept as artifacts (artifacts/site/*.png) for people to look at; asserts only that the layout holds."""
    opts = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "dark" if mode == "dark" else "light"}
    if mode == "mobile":
        opts = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                "has_touch": True}
    ctx = browser.new_context(**opts)
    page = ctx.new_page()
    watch = Watch(page, base_url)
    page.goto(f"{base_url}/calculators/#calc-memory")  # the build-time result: no need to wait for Python
    page.wait_for_load_state("load")
    page.locator("#calc-memory .cookbook-calc__output").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"calculators-{mode}.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= opts["viewport"]["width"], "the page scrolls sideways"
    scheme = page.get_attribute("body", "data-md-color-scheme")
    assert scheme == ("slate" if mode == "dark" else "default")
    watch.check()
    ctx.close()
