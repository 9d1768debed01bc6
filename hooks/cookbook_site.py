"""MkDocs hook: expands calculator markup into forms with build-time results, then stages the browser runtime.

Markup (the contract with the pages, documented in docs/site.md):

    <div class="cookbook-calc" data-calc="params" data-inputs='{"preset": "llama-3-8b"}'></div>
    <div class="cookbook-calc-all"></div>      (every registered calculator, in registry order)

The result shown before any JavaScript runs is computed here by CPython with the same renderer the page's
Pyodide worker uses (hooks/cookbook_page.py). A bad calculator name or bad data-inputs fails the build.
After the build, scripts/stage_pyodide.py copies the pinned Pyodide runtime, the wheels and KaTeX into the site.
"""

from __future__ import annotations

import html
import html.parser
import json
import pathlib
import re
import sys

from mkdocs.exceptions import PluginError

ROOT = pathlib.Path(__file__).resolve().parent.parent
# MkDocs restores sys.path after loading a hook: import everything the hook needs now
for p in (ROOT, ROOT / "hooks", ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import cookbook_page  # noqa: E402
import stage_pyodide  # noqa: E402
from cookbook import calculators  # noqa: E402
from cookbook.errors import CookbookError  # noqa: E402

_MARKUP = re.compile(r"""<div\s[^>]*class=(["'])cookbook-calc(?:-all)?\1[^>]*>\s*</div>""")


class _Attrs(html.parser.HTMLParser):
    def __init__(self, tag: str):
        super().__init__()
        self.attrs: dict = {}
        self.feed(tag)

    def handle_starttag(self, tag, attrs):
        self.attrs = dict(attrs)


def _unique(base: str, used: set) -> str:
    n, bid = 1, base
    while bid in used:
        n += 1
        bid = f"{base}-{n}"
    used.add(bid)
    return bid


def _expand(match: re.Match, used: set, where: str) -> str:
    attrs = _Attrs(match.group(0)).attrs
    try:
        if attrs.get("class") == "cookbook-calc-all":
            return "".join(cookbook_page.calc_block(n, cookbook_page.default_inputs(n), _unique(f"calc-{n}", used),
                                                    strict=False)
                           for n in calculators.calculators())
        name = attrs.get("data-calc") or ""
        inputs = json.loads(attrs.get("data-inputs") or "{}")
        if not isinstance(inputs, dict):
            raise CookbookError("data-inputs must be a JSON object")
        # data-lenient (only from <div class="cookbook-calc-all">): a calculator's own defaults may be incomplete;
        # show the message instead of failing the build
        return cookbook_page.calc_block(name, inputs, _unique(attrs.get("id") or f"calc-{name}", used),
                                        strict=attrs.get("data-lenient") != "true")
    except (CookbookError, json.JSONDecodeError) as e:
        raise PluginError(f"{where}: calculator markup {match.group(0)!r}: {e}") from None


_ALL = re.compile(r"""^<div\s+class=(["'])cookbook-calc-all\1\s*>\s*</div>\s*$""", re.M)


def _all_markdown(_match) -> str:
    """Every calculator under its own heading (so the page's table of contents lists them), with its defaults."""
    parts = []
    for name, calc in calculators.calculators().items():
        inputs = html.escape(json.dumps(cookbook_page.default_inputs(name)), quote=True)
        parts.append(f"## {calc.title}\n\n<div class=\"cookbook-calc\" data-calc=\"{name}\" "
                     f"data-inputs=\"{inputs}\" data-lenient=\"true\"></div>\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files):
    return _ALL.sub(_all_markdown, markdown) if "cookbook-calc-all" in markdown else markdown


def on_page_content(html_text: str, page, config, files):
    if "cookbook-calc" not in html_text:
        return html_text
    used: set = set()
    return _MARKUP.sub(lambda m: _expand(m, used, page.file.src_uri), html_text)


# mkdocs-jupyter's template imports mermaid from cdnjs when a notebook has a mermaid diagram; the site fetches
# nothing from outside, so the loader is removed, and a notebook with a diagram fails the build
_MERMAID_LOADER = re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async '
                             r'\(\) => \{\s*const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>',
                             re.S)


def on_post_page(output: str, page, config):
    if "jp-Mermaid" not in output:
        return output
    if re.search(r'class="[^"]*jp-Mermaid', output):
        raise PluginError(f"{page.file.src_uri}: a mermaid diagram in a notebook would load mermaid from a CDN; "
                          "draw it as an image instead")
    return _MERMAID_LOADER.sub("", output)


def on_post_build(config):
    try:
        stage_pyodide.stage(config["site_dir"])
    except stage_pyodide.StageError as e:
        raise PluginError(str(e)) from None
