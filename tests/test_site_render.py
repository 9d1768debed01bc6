"""hooks/cookbook_page.py, the calculators' HTML (build time and in the page): escaping, the command it shows,
the chart's parts. Pure Python, no site build needed."""

import contextlib
import io
import json
import shlex

import pytest

from site_helpers import changed_inputs  # noqa: I001 (puts hooks/ on sys.path)
import cookbook_page
from cookbook import calculators
from cookbook.cli import main as cli_main
from cookbook.errors import CookbookError

NAMES = list(calculators.calculators())
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize("name", NAMES)
def test_shown_command_gives_the_same_json(name):
    """The command under "JSON, as printed by …" is a real command line: run it, get the page's JSON."""
    inputs = changed_inputs(name)
    argv = shlex.split(cookbook_page.cli_command(name, inputs))
    assert argv[:2] == ["cookbook", name]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli_main(argv[1:] + ["--json"]) == 0
    ok, html_text, _, result = cookbook_page.result_html(name, inputs)
    assert ok and json.loads(out.getvalue()) == json.loads(json.dumps(result))


@pytest.mark.parametrize("name", NAMES)
def test_user_text_is_escaped(name):
    """Whatever is typed comes back escaped, in the form and in the error message."""
    field = next(f for f in calculators.get(name).all_fields() if f.kind in ("int", "float"))
    live = json.loads(cookbook_page.live(name, json.dumps({field.name: HOSTILE})))
    assert live["ok"] is False
    assert "<img" not in live["html"] and "&lt;img" in live["html"]
    block = cookbook_page.calc_block(name, {field.name: HOSTILE}, "calc-x", strict=False)
    assert "<img" not in block


def test_bad_page_inputs_fail_the_build():
    with pytest.raises(CookbookError, match="--num-layers"):
        cookbook_page.calc_block("params", {"num_layers": "abc"})


# calculators whose results carry a chart (a per_gpu/breakdown dict of two or more positive numbers, or
# extra["chart"]); the others (chinchilla, fit, time, plan) show tables only
CHARTED = ("params", "flops", "memory", "inference")


def test_charted_calculators_are_exactly_those_with_chart_parts():
    for name in NAMES:
        result = calculators.run(name, cookbook_page.default_inputs(name))
        found = cookbook_page.chart_parts(result, calculators.get(name).extra.get("chart"))
        assert (found is not None) == (name in CHARTED), name


@pytest.mark.parametrize("name", CHARTED)
def test_chart_parts_are_the_breakdown(name):
    """The stacked bar shows the result's per_gpu/breakdown parts (the non-zero ones), one segment each."""
    result = calculators.run(name, cookbook_page.default_inputs(name))
    chart_keys = calculators.get(name).extra.get("chart")
    key, parts = cookbook_page.chart_parts(result, chart_keys)
    source = {k: result[k] for k in chart_keys} if chart_keys else result[key]
    assert parts == {k: v for k, v in source.items() if v > 0}
    ok, html_text, _, _ = cookbook_page.result_html(name, cookbook_page.default_inputs(name))
    assert html_text.count('<rect class="cookbook-seg-') == 2 * len(parts)  # bar segment + legend swatch
