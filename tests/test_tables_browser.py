"""The benchmark pages in Debian Chromium (fixtures of tests/test_browser.py: the built site on 127.0.0.1, a dead
proxy for everything else). The compare page reads a local records file with FileReader and sets it beside the
published rows; every request stays on the origin and is a GET (nothing uploaded)."""

from __future__ import annotations

import json

import pytest

from tables_helpers import RESULTS  # noqa: I001
from test_browser import Watch, base_url, browser  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SET = "cpu-epyc-2026-12-04"


def _line(name, pred):
    for line in (RESULTS / SET / name).read_text().splitlines():
        rec = json.loads(line)
        if pred(rec):
            return rec
    raise AssertionError(f"no record in {SET}/{name} matches")


def _user_file(tmp_path):
    """A user's records: one published GEMM case measured 2x faster, one collective as published, one GEMM case
    with no published row, one skipped record."""
    fast = _line("gemm.jsonl", lambda r: r["params"].get("preset") is None and r["params"]["m"] == 64
                 and r["params"]["dtype"] == "fp32")
    fast["record_id"] = "user-fast"
    fast["metrics"]["flop_per_s_median"] *= 2
    same = _line("comm.jsonl", lambda r: r["benchmark"] == "all_reduce" and r["params"]["size_bytes"] == 8192)
    other = json.loads(json.dumps(fast))
    other["params"]["m"] = 65
    skipped = {**json.loads(json.dumps(same)), "status": "skipped", "error": {"message": "not here"}}
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (fast, same, other, skipped)))
    return path, same


def test_compare_page_reads_local_records(browser, base_url, tmp_path):  # noqa: F811
    path, same = _user_file(tmp_path)
    page = browser.new_page()
    watch = Watch(page, base_url)
    methods = []
    page.on("request", lambda r: methods.append((r.method, r.url)))
    page.goto(f"{base_url}/benchmarks/compare/")
    page.wait_for_load_state("networkidle")
    before = len(methods)
    page.set_input_files("#bench-compare-file", str(path))
    page.wait_for_selector("#bench-compare-out table tbody tr")
    status = page.inner_text("#bench-compare-status")
    assert "4 records read in your browser (nothing uploaded)" in status
    assert "2 comparisons with published rows" in status and "1 of your cases have no published row" in status
    assert "1 records not measured" in status
    rows = [[c.inner_text() for c in r.query_selector_all("td")]
            for r in page.query_selector_all("#bench-compare-out tbody tr")]
    by_ratio = {r[4]: r for r in rows}
    assert "gemm: op=mm, dtype=fp32, m=64, n=512, k=512" == by_ratio["2.000"][0]
    assert by_ratio["2.000"][5] == f"gemm-fp32-{SET}-v1" and "CPU" in by_ratio["2.000"][6]
    assert by_ratio["1.000"][5] == f"all-reduce-gloo-2r-fp32-{SET}-v1"
    assert any(r[3] == "no published row for this case" and "m=65" in r[0] for r in rows)
    link = page.get_attribute("#bench-compare-out a", "href")
    assert link.startswith(f"{base_url}/benchmarks/") and "#" in link
    assert all(m == "GET" for m, _ in methods), methods
    assert all("published.json" in u or u.endswith(".map") for _, u in methods[before:]), methods[before:]
    watch.check()
    page.close()


def test_table_pages_show_anchors_plots_and_downloads(browser, base_url):  # noqa: F811
    page = browser.new_page()
    watch = Watch(page, base_url)
    tid = f"gemm-fp32-{SET}-v1"
    page.goto(f"{base_url}/benchmarks/gemm/#{tid}")
    page.wait_for_load_state("networkidle")
    assert page.locator(f"h2#{tid}").count() == 1
    assert "CPU measurement" in page.inner_text(f"h2#{tid} ~ .admonition")
    widths = page.eval_on_selector_all("article img", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert widths and all(w and w > 0 for w in widths)
    for ext, start in (("csv", "table_id,record_id,device_class"), ("bib", f"@misc{{cookbook-{tid},"),
                       ("records.jsonl", '{"schema_version": 1')):
        href = page.eval_on_selector(f"a[href$='data/{tid}.{ext}']", "a => a.href")
        resp = page.request.get(href)
        assert resp.ok and resp.text().startswith(start), href
    watch.check()
    page.close()


def test_compare_page_works_after_in_site_navigation(browser, base_url):  # noqa: F811
    """Material's instant navigation swaps the page without reloading scripts: compare.js must still attach."""
    page = browser.new_page()
    watch = Watch(page, base_url)
    page.goto(f"{base_url}/benchmarks/")
    page.wait_for_load_state("networkidle")
    page.click("nav a[href$='compare/']")
    page.wait_for_selector("#bench-compare-file")
    page.set_input_files("#bench-compare-file", str(RESULTS / SET / "membw.jsonl"))
    page.wait_for_selector("#bench-compare-out table tbody tr")
    assert "25 comparisons with published rows" in page.inner_text("#bench-compare-status")
    ratios = page.eval_on_selector_all("#bench-compare-out tbody tr td:nth-child(5)", "tds => tds.map(t => t.textContent)")
    assert ratios == ["1.000"] * 25
    watch.check()
    page.close()
