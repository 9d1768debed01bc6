"""The package inside Pyodide (CPython 3.14 on WebAssembly, the runtime the site ships) under Node gives the same
results, tables, error messages and page HTML as CPython here, for every registered calculator.

Uses the wheels staged into the built site (their sha256 checked against the site's lock), so this tests the
exact artifacts the browser loads. Node and web/node_modules come from scripts/test.sh (npm ci)."""

import json
import shutil
import subprocess

import pytest

from site_helpers import ROOT, differences, ensure_site, parity_cases, result_or_error  # noqa: I001 (puts hooks/ on sys.path)
import cookbook_page
from cookbook import calculators

pytestmark = pytest.mark.pyodide

CASES = parity_cases()


@pytest.fixture(scope="module")
def pyodide_run(tmp_path_factory):
    site = ensure_site()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; scripts/test.sh needs Node 20+ for the Pyodide parity tests")
    cases_file = tmp_path_factory.mktemp("pyodide") / "cases.json"
    cases_file.write_text(json.dumps(CASES))
    proc = subprocess.run([node, str(ROOT / "tests" / "pyodide_parity.mjs"), str(site), str(cases_file)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_runs_cpython_314_on_emscripten(pyodide_run):
    assert pyodide_run["python"].startswith("3.14.")
    assert pyodide_run["platform"] == "emscripten"


def test_cases_cover_every_calculator():
    assert {c["name"] for c in CASES} == set(calculators.calculators())
    assert len(CASES) >= 3 * len(calculators.calculators())


@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{c['name']}-{i}" for i, c in enumerate(CASES)])
def test_same_as_cpython(pyodide_run, i):
    case, got = CASES[i], pyodide_run["results"][i]
    want = result_or_error(case["name"], case["inputs"])
    live = json.loads(cookbook_page.live(case["name"], json.dumps(case["inputs"])))
    if isinstance(want, Exception):
        assert got.get("error") == str(want)
        assert got["live"]["ok"] is False and str(want) in got["live"]["status"]
    else:
        want = json.loads(json.dumps(want))
        assert differences(got["result"], want) == []
        if got["result"] != want:  # last-bit float differences (site_helpers.differences)
            assert got["rows"] == [list(r) for r in calculators.rows(case["name"], got["result"])]
            return
        assert got["rows"] == [list(r) for r in calculators.rows(case["name"], want)]
    # the page HTML the worker returns is the one CPython renders at build time
    assert got["live"] == live
