"""Shared by the site tests: the built site, the command line as the reference, and generic calculator cases.

Cases are derived from the registry (``cookbook.calculators``), so a newly registered calculator is tested
without changing these tests: its page default, an input changed so the result changes, and a bad value.
"""

from __future__ import annotations

import html
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
sys.path[:0] = [str(ROOT), str(ROOT / "hooks"), str(ROOT / "scripts")]

import cookbook_page  # noqa: E402
from cookbook import calculators  # noqa: E402
from cookbook.errors import CookbookError  # noqa: E402
from cookbook.presets import PRESETS  # noqa: E402

_SOURCES = ("cookbook", "docs", "hooks", "docs_src", "scripts/stage_pyodide.py", "mkdocs.yml", "web/package-lock.json")


def _newest(path: pathlib.Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
               default=0.0)


def ensure_site() -> pathlib.Path:
    """The built site; (re)built with scripts/build_site.sh when missing or older than its sources."""
    marker = SITE / "pyodide" / "pyodide-lock.json"
    built = marker.stat().st_mtime if marker.exists() else 0.0
    if built < max(_newest(ROOT / s) for s in _SOURCES if (ROOT / s).exists()):
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "build_site.sh")], cwd=ROOT, capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/build_site.sh failed:\n{proc.stdout}\n{proc.stderr}")
    if not marker.exists():
        raise RuntimeError(f"{marker} missing after scripts/build_site.sh")
    return SITE


def cli(name: str, inputs: dict) -> tuple[int, str]:
    """Run ``python -m cookbook NAME <flags> --json``; (exit code, stdout or the stderr line)."""
    fields = {f.name: f for f in calculators.get(name).all_fields()}
    argv = [sys.executable, "-m", "cookbook", name]
    tmp = None
    for key, value in inputs.items():
        f = fields[key]
        if f.kind == "bool":
            argv.append(f.flag if str(value).lower() in ("true", "1", "yes", "on") else "--no-" + f.flag[2:])
        elif key == "hf_config":
            tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            tmp.write(value if isinstance(value, str) else json.dumps(value))
            tmp.close()
            argv += [f.flag, tmp.name]
        else:
            argv += [f.flag, str(value)]
    argv.append("--json")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        if tmp:
            os.unlink(tmp.name)
    return proc.returncode, (proc.stdout if proc.returncode == 0 else proc.stderr.strip())


def result_or_error(name: str, inputs: dict):
    try:
        return calculators.run(name, inputs)
    except CookbookError as e:
        return CookbookError(str(e))


def changed_inputs(name: str) -> dict:
    """The page default with one input changed so that the result changes (num_layers first, else a number)."""
    base = cookbook_page.default_inputs(name)
    before = result_or_error(name, base)
    fields = calculators.get(name).describe()["fields"]
    candidates = [("num_layers", "7")] + [
        (f["name"], str(float(v) * 2 if f["kind"] == "float" else int(v) * 2))
        for f in fields if f["kind"] in ("int", "float")
        for v in [base.get(f["name"], f["default"])] if v not in (None, "")]
    for key, value in candidates:
        if key not in {f["name"] for f in fields}:
            continue
        trial = {**base, key: value}
        after = result_or_error(name, trial)
        if not isinstance(after, Exception) and after != before:
            return trial
    raise AssertionError(f"{name}: no single numeric change to its default inputs {base} changes the result; "
                         "give the calculator extra={'example': {...}} with valid inputs")


def bad_inputs(name: str) -> tuple[dict, str]:
    """The page default with a non-number typed into the first numeric field, and that field's name."""
    base = cookbook_page.default_inputs(name)
    for f in calculators.get(name).describe()["fields"]:
        if f["kind"] in ("int", "float"):
            return {**base, f["name"]: "abc"}, f["name"]
    raise AssertionError(f"{name} has no numeric field")


# every preset for parameter counts (cheap, exact); for the other calculators one model of each family that changes
# the arithmetic: dense GQA, MoE, MLA + MoE, sliding-window attention, learned positions
PARITY_PRESETS = ("llama-3-8b", "mixtral-8x7b", "deepseek-v3", "gemma-3-1b", "gpt2")


def parity_cases() -> list[dict]:
    """Calculator cases for CPython vs Pyodide: defaults, every preset, a pasted config, a change, errors."""
    cases = []
    for name, calc in calculators.calculators().items():
        base = cookbook_page.default_inputs(name)
        cases.append({"name": name, "inputs": base})
        uses_preset = any(f.name == "preset" for f in calc.all_fields())
        if uses_preset:
            extra = {k: v for k, v in base.items() if k != "preset"}
            presets = list(PRESETS) if name == "params" else [p for p in PARITY_PRESETS if p in PRESETS]
            cases += [{"name": name, "inputs": {**extra, "preset": p}} for p in presets]
            cases.append({"name": name, "inputs": {**extra, "hf_config": json.dumps(PRESETS["gpt2"]["config"])}})
            cases.append({"name": name, "inputs": {**extra, "preset": "no-such-model"}})
        try:
            cases.append({"name": name, "inputs": changed_inputs(name)})
        except AssertionError:
            pass
        cases.append({"name": name, "inputs": bad_inputs(name)[0]})
    return cases


_BLOCK = re.compile(r'<div class="cookbook-calc" id="([^"]+)" data-calc="([^"]+)" data-defaults="([^"]*)" '
                    r'data-state="([^"]+)">(.*?)</output></div>', re.S)
_JSON = re.compile(r'<details class="cookbook-calc__json">.*?<pre><code>(.*?)</code></pre>', re.S)
_ERROR = re.compile(r'<p class="cookbook-calc__error"><strong>Input error:</strong> (.*?)</p>', re.S)
_ROW = re.compile(r'<tr><th scope="row"[^>]*>(.*?)</th><td>(.*?)</td></tr>', re.S)


def blocks(page_html: str) -> list[dict]:
    """The calculator blocks of a built page: id, calc, defaults, state, and the build-time JSON/error/rows."""
    out = []
    for bid, calc, defaults, state, body in _BLOCK.findall(page_html):
        j, e = _JSON.search(body), _ERROR.search(body)
        out.append({"id": bid, "calc": calc, "defaults": json.loads(html.unescape(defaults)), "state": state,
                    "json": html.unescape(j.group(1)) if j else None,
                    "error": html.unescape(e.group(1)) if e else None,
                    "rows": [(html.unescape(a), html.unescape(b)) for a, b in _ROW.findall(body)]})
    return out


def calculator_pages(site: pathlib.Path) -> list[pathlib.Path]:
    """Built pages that hold at least one calculator."""
    return sorted(p for p in site.rglob("*.html") if 'class="cookbook-calc"' in p.read_text(encoding="utf-8"))


FLOAT_REL_TOL = 1e-12


def differences(got, want, path: str = "") -> list[str]:
    """Where two JSON values differ: exact for ints, strings and structure; floats within FLOAT_REL_TOL.

    Floats get a tolerance because the CLI may run CPython 3.11 while the page runs 3.14, and since 3.12 ``sum()``
    of floats is compensated (Neumaier), so a float sum can differ in its last bit. Integers (counts, bytes,
    FLOPs) must match exactly."""
    if isinstance(want, bool) or isinstance(got, bool) or not (
            isinstance(want, float) or isinstance(got, float)):
        if isinstance(want, dict) and isinstance(got, dict):
            if set(want) != set(got):
                return [f"{path}: keys {sorted(set(got) ^ set(want))} differ"]
            return [d for k in want for d in differences(got[k], want[k], f"{path}.{k}")]
        if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
            return [d for i, (g, w) in enumerate(zip(got, want)) for d in differences(g, w, f"{path}[{i}]")]
        return [] if got == want and type(got) is type(want) else [f"{path}: {got!r} != {want!r}"]
    if isinstance(want, float) and isinstance(got, float):
        return [] if math.isclose(got, want, rel_tol=FLOAT_REL_TOL, abs_tol=0.0) or got == want else [
            f"{path}: {got!r} != {want!r}"]
    return [f"{path}: {got!r} != {want!r} (int vs float)"]


class SiteServer:
    """The built site over HTTP on 127.0.0.1 (a free port, threads), like ``python -m http.server``, except that
    sitemap.xml is rebased onto this port: Material's instant navigation only follows sitemap URLs of the same
    port, and the site was built for COOKBOOK_SITE_URL (default http://127.0.0.1:8000/)."""

    def __init__(self, site: pathlib.Path, port: int = 0, tamper_wheels: bool = False):
        import functools
        import http.server
        import threading

        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.split("?")[0] == "/sitemap.xml":
                    body = re.sub(rb"<loc>https?://[^/<]+/", f"<loc>{server.url}/".encode(),
                                  (site / "sitemap.xml").read_bytes())
                    self.send_response(200)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if tamper_wheels and self.path.endswith(".whl"):  # one byte changed: the lock's sha256 must fail
                    body = bytearray((site / self.path.lstrip("/")).read_bytes())
                    body[-1] ^= 1
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(bytes(body))
                    return
                super().do_GET()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     functools.partial(Handler, directory=str(site)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


