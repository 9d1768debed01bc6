"""The built site (scripts/build_site.sh): nothing fetched from outside the origin, the staged runtime is exactly
the pinned one plus our hash-listed wheels, and every calculator's build-time result is what the CLI prints."""

import hashlib
import html.parser
import io
import json
import re
import urllib.parse
import zipfile

import pytest

from site_helpers import ROOT, blocks, calculator_pages, cli, ensure_site  # noqa: I001 (sys.path)
import stage_pyodide
from cookbook import calculators

SITE = ensure_site()
PAGES = sorted(SITE.rglob("*.html"))
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
# attributes through which a browser fetches something on its own
FETCHING = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
            ("source", "srcset"), ("img", "srcset"), ("video", "src"), ("video", "poster"), ("audio", "src"),
            ("object", "data"), ("embed", "src"), ("input", "src"), ("track", "src"), ("form", "action")}
LINK_RELS_NOT_FETCHED = {"canonical"}


class _Fetches(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in_script = tag == "script"
        if tag == "link" and a.get("rel") in LINK_RELS_NOT_FETCHED:
            return
        for name, value in attrs:
            if (tag, name) in FETCHING and value:
                self.urls += [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
            if name == "style" and value and "url(" in value:
                self.urls += re.findall(r"url\(['\"]?([^'\")]+)", value)

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline.append(data)


def _remote(url: str) -> bool:
    p = urllib.parse.urlsplit(url)
    return p.scheme not in ("", "data", "blob") or (p.netloc not in LOCAL_HOSTS)


def test_site_has_pages():
    assert (SITE / "index.html").exists() and (SITE / "calculators" / "index.html").exists()
    assert len(PAGES) >= 4


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(SITE)))
def test_page_fetches_nothing_remote(page):
    """No src/href the browser would fetch points off the origin (plain <a> links are fine); no inline script
    imports or fetches a remote URL."""
    f = _Fetches()
    f.feed(page.read_text(encoding="utf-8"))
    assert f.urls, "a page without any local asset is suspicious"
    assert [u for u in f.urls if _remote(u)] == []
    code = "\n".join(f.inline)
    assert re.findall(r"""(?:import|fetch|src\s*=)\s*\(?\s*["']https?://[^"']+""", code) == []


def test_css_and_our_js_have_no_remote_urls():
    css = [p for p in SITE.rglob("*.css")]
    ours = sorted((SITE / "js").glob("*.js"))
    assert css and len(ours) >= 3
    for p in css:
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", p.read_text(encoding="utf-8"))
        assert [u for u in urls if _remote(u)] == [], p
        assert "@import" not in p.read_text(encoding="utf-8") or "http" not in p.read_text(encoding="utf-8"), p
    for p in ours:
        assert re.findall(r"https?://", p.read_text(encoding="utf-8")) == [], p


def test_no_theme_fonts_and_math_is_self_hosted():
    index = (SITE / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in index and "fonts.gstatic" not in index
    katex = SITE / "vendor" / "katex"
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    woff2 = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))
    assert woff2 and all((katex / f).is_file() for f in woff2)
    for f in stage_pyodide.KATEX_FILES:
        assert (katex / f).read_bytes() == (stage_pyodide.KATEX_DIR / f).read_bytes()


def test_staged_runtime_is_exactly_the_pinned_one():
    pyo = SITE / "pyodide"
    lock = json.loads((pyo / "pyodide-lock.json").read_text())
    wheels = {p["file_name"] for p in lock["packages"].values()}
    files = {str(p.relative_to(pyo)) for p in pyo.rglob("*") if p.is_file()}
    assert files == set(stage_pyodide.RUNTIME_FILES) | {"pyodide-lock.json"} | wheels
    assert stage_pyodide.pinned_version("pyodide") == json.loads(
        (stage_pyodide.PYODIDE_DIR / "package.json").read_text())["version"]
    for f in stage_pyodide.RUNTIME_FILES:
        assert (pyo / f).read_bytes() == (stage_pyodide.PYODIDE_DIR / f).read_bytes(), f
    npm_lock = json.loads((stage_pyodide.PYODIDE_DIR / "pyodide-lock.json").read_text())
    assert lock["info"] == npm_lock["info"] and lock["info"]["python"].startswith("3.14")


def test_lock_sha256_matches_wheels_and_their_paths():
    pyo = SITE / "pyodide"
    lock = json.loads((pyo / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == {"cookbook", "cookbook-page"}
    for pkg in lock["packages"].values():
        data = (pyo / pkg["file_name"]).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert pkg["sha256"] == digest
        assert pkg["file_name"].split("/")[1] == digest[:16], "wheel path is content-addressed"
        assert pkg["depends"] == [] and pkg["file_name"].endswith("-py3-none-any.whl")


def test_staged_cookbook_wheel_holds_the_current_sources():
    lock = json.loads((SITE / "pyodide" / "pyodide-lock.json").read_text())
    data = (SITE / "pyodide" / lock["packages"]["cookbook"]["file_name"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        in_wheel = {n: z.read(n) for n in z.namelist() if n.endswith(".py")}
    sources = {str(p.relative_to(ROOT)): p.read_bytes() for p in (ROOT / "cookbook").rglob("*.py")}
    assert in_wheel == sources, "rebuild the site: the staged wheel is not the source tree"


def test_page_wheel_is_reproducible_and_holds_the_renderer():
    lock = json.loads((SITE / "pyodide" / "pyodide-lock.json").read_text())
    data = (SITE / "pyodide" / lock["packages"]["cookbook-page"]["file_name"]).read_bytes()
    assert data == stage_pyodide.page_wheel_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.read("cookbook_page.py") == (ROOT / "hooks" / "cookbook_page.py").read_bytes()


def test_calculators_page_has_every_calculator():
    page = (SITE / "calculators" / "index.html").read_text(encoding="utf-8")
    assert [b["calc"] for b in blocks(page)] == list(calculators.calculators())


BLOCKS = [(p, b) for p in calculator_pages(SITE) for b in blocks(p.read_text(encoding="utf-8"))]


def test_every_calculator_block_is_parsed():
    n = sum(p.read_text(encoding="utf-8").count('class="cookbook-calc"') for p in calculator_pages(SITE))
    assert len(BLOCKS) == n >= len(calculators.calculators())


@pytest.mark.parametrize("page,block", BLOCKS, ids=[f"{p.parent.name}-{b['id']}" for p, b in BLOCKS])
def test_build_time_result_is_the_cli_output(page, block):
    """The result a page shows before Python loads (and without JavaScript) is the CLI's, for the same inputs."""
    rc, out = cli(block["calc"], block["defaults"])
    if block["state"] == "invalid":
        assert rc == 2 and out == f"error: {block['error']}"
        return
    assert rc == 0, out
    assert block["json"] == out.rstrip("\n")
    got = json.loads(block["json"])
    assert block["rows"] == [(k.strip(), v) for k, v in calculators.rows(block["calc"], got)]


@pytest.mark.parametrize("page", calculator_pages(SITE), ids=lambda p: str(p.relative_to(SITE)))
def test_every_control_has_a_label(page):
    text = page.read_text(encoding="utf-8")
    calcs = "".join(re.findall(r'<div class="cookbook-calc" .*?</output></div>', text, re.S))
    ids = re.findall(r'<(?:input|select|textarea) [^>]*id="([^"]+)"', calcs)
    labelled = set(re.findall(r'<label for="([^"]+)"', text))
    assert ids and [i for i in ids if i not in labelled] == []
    assert len(ids) == len(set(ids)), "duplicate element ids on one page"
    assert text.count('role="status" aria-live="polite"') == text.count('class="cookbook-calc"')


@pytest.mark.parametrize("page,block", BLOCKS, ids=[f"{p.parent.name}-{b['id']}" for p, b in BLOCKS])
def test_form_offers_exactly_the_cli_inputs(page, block):
    """The form is generated from the same field descriptions as the CLI's flags: the same names (grouped)."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f'<div class="cookbook-calc" id="{block["id"]}"')
    form = text[start:text.index("</form>", start)]
    names = re.findall(r'<(?:input|select|textarea) [^>]*name="([^"]+)"', form)
    assert sorted(names) == sorted(f.name for f in calculators.get(block["calc"]).all_fields())
