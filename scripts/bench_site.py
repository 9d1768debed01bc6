"""Measure the site's calculators in Debian Chromium (measured, not asserted): cold navigation to the first live
result, recompute time, next-page time with instant navigation, and bytes transferred per page.

    python scripts/bench_site.py [--samples 5] [--out artifacts/site/bench.json]

Builds the site if needed (tests/site_helpers.ensure_site), serves it on 127.0.0.1 with a dead proxy for anything
else, and launches a fresh browser for every cold sample (a reused browser drifts; notes/site.md pitfall 10).
Prints a Markdown table and writes a JSON record with the machine's load average and the versions used.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import platform
import statistics
import sys
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from site_helpers import SiteServer, calculator_pages, ensure_site  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--proxy-server=http://127.0.0.1:9"]
COLD_URL = "/calculators/?calc-params.preset=gpt2&calc-params.num_layers=13#calc-params"
LIVE = "b => b && b.dataset.ticketDone && b.querySelector('.cookbook-calc__output').dataset.source === 'live'"


# main-thread tasks over 50 ms during the cold load (Python starts in a worker, so these are the page's own)
LONGTASKS = """window.__longtasks = []; new PerformanceObserver(l => l.getEntries().forEach(
  e => window.__longtasks.push(e.duration))).observe({type: "longtask", buffered: true});"""


def _launch(p):
    return p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)


def _bytes(requests, site: pathlib.Path, base: str) -> dict:
    """Bytes on the wire (http.server: no compression) and what gzip -6 would make of the same files."""
    raw = gz = 0
    for r in requests:
        s = r.sizes()
        raw += s["responseBodySize"] + s["responseHeadersSize"]
        path = urllib.parse.urlsplit(r.url).path
        f = site / path.lstrip("/")
        if f.is_dir() or path.endswith("/"):
            f = f / "index.html"
        if f.is_file():
            gz += len(gzip.compress(f.read_bytes(), 6))
    return {"requests": len(requests), "bytes": raw, "gzip_bytes_estimate": gz}


def cold(p, base: str, site: pathlib.Path) -> dict:
    """Fresh browser and profile: navigation start to the URL's inputs computed live by Python in the page."""
    b = _launch(p)
    page = b.new_page()
    page.add_init_script(LONGTASKS)
    reqs = []
    page.on("requestfinished", lambda r: reqs.append(r))
    page.goto(base + COLD_URL)
    h = page.wait_for_function(f"() => {{ const b = document.getElementById('calc-params'); return ({LIVE})(b) "
                               "&& performance.now(); }", timeout=180_000, polling="raf")
    ms = h.json_value()
    page.wait_for_load_state("networkidle")
    longest, total = page.evaluate("[Math.max(0, ...window.__longtasks), window.__longtasks.reduce((a, b) => a + b, 0)]")
    out = {"ms": ms, "longest_main_thread_task_ms": longest, "main_thread_long_tasks_ms": total,
           **_bytes(reqs, site, base)}
    b.close()
    return out


def recompute(page, n: int = 20) -> dict:
    """Input changed -> new result in the DOM (worker round trip + render), and Python's own time in the worker."""
    js = """async (layers) => {
      const b = document.getElementById('calc-params');
      const el = document.getElementById('calc-params-num_layers');
      const before = b.dataset.ticketDone;
      const t0 = performance.now();
      el.value = String(layers);
      b.querySelector('form').requestSubmit();
      await new Promise(res => { const mo = new MutationObserver(() => {
        if (b.dataset.ticketDone !== before && !b.hasAttribute('aria-busy')) { mo.disconnect(); res(); } });
        mo.observe(b, {attributes: true}); });
      return [performance.now() - t0, parseFloat(b.dataset.ms)];
    }"""
    samples = [page.evaluate(js, 10 + i) for i in range(n)]
    return {"dom_ms": statistics.median(s[0] for s in samples), "python_ms": statistics.median(s[1] for s in samples),
            "samples": n}


def next_page(page, base: str, site: pathlib.Path) -> list:
    """From a live calculators page, follow a link (instant navigation) to each other page with a calculator:
    time to its calculator being live (Python already running) and its first recompute; bytes it fetched."""
    out = []
    for f in calculator_pages(site):
        rel = f.relative_to(site).parent.as_posix()
        if rel == "calculators":
            continue
        reqs = []
        def keep(r, reqs=reqs):
            reqs.append(r)
        page.on("requestfinished", keep)
        url = f"{base}/{rel}/"
        ms = page.evaluate("""async (url) => {
          const t0 = performance.now();
          const a = document.createElement('a'); a.href = url; document.body.append(a); a.click();
          while (!(location.href === url && document.querySelector('.cookbook-calc[data-engine="ready"]')))
            await new Promise(r => requestAnimationFrame(r));
          const live = performance.now() - t0;
          const b = document.querySelector('.cookbook-calc');
          const before = b.dataset.ticketDone;
          b.querySelector('form').requestSubmit();
          while (b.dataset.ticketDone === before) await new Promise(r => requestAnimationFrame(r));
          return [live, performance.now() - t0];
        }""", url)
        page.wait_for_timeout(300)
        page.remove_listener("requestfinished", keep)
        out.append({"page": rel, "live_ms": ms[0], "first_result_ms": ms[1], **_bytes(reqs, site, base)})
    return out


def page_without_calculator(p, base: str, site: pathlib.Path) -> dict:
    b = _launch(p)
    page = b.new_page()
    reqs = []
    page.on("requestfinished", lambda r: reqs.append(r))
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    out = _bytes(reqs, site, base)
    b.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "artifacts" / "site" / "bench.json"))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    site = ensure_site()
    server = SiteServer(site)
    base = server.url
    record = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": platform.machine(),
              "cpus": os.cpu_count(), "load_average_before": os.getloadavg()}
    with sync_playwright() as p:
        record["chromium"] = _launch(p).version
        colds = [cold(p, base, site) for _ in range(args.samples)]
        record["cold"] = {"median_ms": statistics.median(c["ms"] for c in colds),
                          "samples_ms": [round(c["ms"]) for c in colds],
                          "longest_main_thread_task_ms": max(c["longest_main_thread_task_ms"] for c in colds),
                          **{k: colds[0][k] for k in ("requests", "bytes", "gzip_bytes_estimate")}}
        b = _launch(p)
        page = b.new_page()
        page.goto(base + COLD_URL)
        page.wait_for_function(f"() => ({LIVE})(document.getElementById('calc-params'))", timeout=180_000)
        record["recompute"] = recompute(page)
        record["next_page"] = next_page(page, base, site)
        b.close()
        record["page_without_calculator"] = page_without_calculator(p, base, site)
    record["load_average_after"] = os.getloadavg()
    server.close()
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(record, indent=2))
    print(_markdown(record))
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def _markdown(r: dict) -> str:
    c, rc = r["cold"], r["recompute"]
    lines = [f"Chromium {r['chromium']}, {r['cpus']} CPUs, load average {r['load_average_before'][0]:.1f} before, "
             f"{r['when']}", "", "| measure | value |", "|---|---|",
             f"| cold navigation to first live result (fresh browser, median of {len(c['samples_ms'])}) | "
             f"{c['median_ms'] / 1e3:.2f} s (samples {', '.join(f'{s / 1e3:.1f}' for s in c['samples_ms'])} s) |",
             f"| longest main-thread task during any cold load | {c['longest_main_thread_task_ms']:.0f} ms |",
             f"| bytes, cold calculators page incl. Python | {_mb(c['bytes'])} in {c['requests']} requests "
             f"(gzip would make it {_mb(c['gzip_bytes_estimate'])}) |",
             f"| recompute, input to new result in the page (median of {rc['samples']}) | {rc['dom_ms']:.1f} ms "
             f"(Python {rc['python_ms']:.2f} ms) |",
             f"| bytes, page without a calculator (cold) | {_mb(r['page_without_calculator']['bytes'])} in "
             f"{r['page_without_calculator']['requests']} requests |"]
    for n in r["next_page"]:
        lines.append(f"| next page `{n['page']}/` by instant navigation: live / first result | "
                     f"{n['live_ms']:.0f} ms / {n['first_result_ms']:.0f} ms, {_mb(n['bytes'])} in "
                     f"{n['requests']} requests |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
