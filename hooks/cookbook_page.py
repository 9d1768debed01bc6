"""The HTML of the site's calculators, rendered by the same code at build time (CPython) and in the page (Pyodide).

``calc_block`` renders a whole calculator: a form generated from the calculator's field descriptions
(``cookbook.calculators.describe``) and its result for the given inputs, so the page is complete without JavaScript.
``live`` is what the in-page worker calls after an input changes: the same result HTML, as JSON.
Everything a user typed is escaped. Standard library only: it ships to the browser as the ``cookbook_page`` wheel.
"""

from __future__ import annotations

import html
import json
import re
import shlex

from cookbook import calculators
from cookbook.errors import CookbookError

__all__ = ["calc_block", "result_html", "live", "cli_command", "chart_parts", "default_inputs"]

_MODEL_MAIN = ("preset",)
_MODEL_PASTE = ("hf_config",)
_CHART_KEYS = ("per_gpu", "breakdown")
_DEFAULT_PRESET = "llama-3-8b"  # the model a calculator shows when a page gives none
_COLORS = 8  # chart segments cycle through CSS classes cookbook-seg-0 .. -7 (colours in calc.css)


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _md_code(s: str) -> str:
    """Escape, then render `code` spans of a help text."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(s))


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _value_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, indent=2)
    return str(v)


def _control(f: dict, fid: str, value: str) -> str:
    """One input element for a field description (kinds: int, float, bool, choice, str, json)."""
    common = f'id="{fid}" name="{_e(f["name"])}" aria-describedby="{fid}-help"'
    kind = f["kind"]
    if kind in ("choice", "bool"):
        opts = [str(c) for c in f["choices"]] if kind == "choice" else ["true", "false"]
        labels = opts if kind == "choice" else ["yes", "no"]
        blank = "— none: use the fields below —" if f["name"] == "preset" else (
            f"default ({_value_text(f['default'])})" if f["default"] is not None else
            "not set (the model's value)" if f["group"] == "model" else "not set")
        items = [f'<option value=""{" selected" if value == "" else ""}>{_e(blank)}</option>']
        items += [f'<option value="{_e(o)}"{" selected" if o == value else ""}>{_e(t)}</option>'
                  for o, t in zip(opts, labels)]
        return f'<select {common}>{"".join(items)}</select>'
    if kind == "json":
        return (f'<textarea {common} rows="6" spellcheck="false" autocomplete="off" '
                f'placeholder="{{&quot;model_type&quot;: &quot;llama&quot;, ...}}">{_e(value)}</textarea>')
    mode = {"int": "numeric", "float": "decimal"}.get(kind)
    extra = f' inputmode="{mode}"' if mode else ""
    ph = f' placeholder="{_e(_value_text(f["default"]))}"' if f["default"] is not None else ""
    return f'<input type="text" {common} value="{_e(value)}"{extra}{ph} autocomplete="off" spellcheck="false">'


def _pair(f: dict, block_id: str, values: dict) -> str:
    fid = f"{block_id}-{f['name']}"
    rng = []
    if f.get("min") is not None:
        rng.append(f"≥ {f['min']:g}")
    if f.get("max") is not None:
        rng.append(f"≤ {f['max']:g}")
    help_ = _md_code(f["help"]) + (f" ({', '.join(rng)})" if rng else "")
    return (f'<label for="{fid}">{_e(_label(f["name"]))}</label>'
            f'<div class="cookbook-calc__field">{_control(f, fid, _value_text(values.get(f["name"])))}'
            f'<small id="{fid}-help">{help_} · <code>{_e(f["flag"])}</code></small></div>')


def _grid(fields, block_id, values) -> str:
    return '<div class="cookbook-calc__grid">' + "".join(_pair(f, block_id, values) for f in fields) + "</div>"


def _model_fieldset(fields, block_id, values) -> str:
    main = [f for f in fields if f["name"] in _MODEL_MAIN]
    paste = [f for f in fields if f["name"] in _MODEL_PASTE]
    shape = [f for f in fields if f["name"] not in _MODEL_MAIN + _MODEL_PASTE]
    has = lambda fs: any(values.get(f["name"]) not in (None, "") for f in fs)  # noqa: E731
    out = ["<fieldset><legend>Model</legend>", _grid(main, block_id, values)]
    if paste:
        out.append(f'<details{" open" if has(paste) else ""}><summary>Paste a Hugging Face config.json</summary>'
                   f'{_grid(paste, block_id, values)}</details>')
    if shape:
        out.append(f'<details{" open" if has(shape) else ""}><summary>Model shape (overrides the preset or '
                   f'config.json)</summary>{_grid(shape, block_id, values)}</details>')
    out.append("</fieldset>")
    return "".join(out)


def _form(desc: dict, block_id: str, values: dict) -> str:
    groups: dict[str, list] = {}
    for f in desc["fields"]:
        groups.setdefault(f["group"], []).append(f)
    parts = []
    for group, fields in groups.items():
        if group == "model":
            parts.append(_model_fieldset(fields, block_id, values))
        else:
            parts.append(f"<fieldset><legend>{_e(_label(group))}</legend>{_grid(fields, block_id, values)}"
                         "</fieldset>")
    return "".join(parts)


def cli_command(name: str, inputs: dict) -> str:
    """The CLI command giving the same result (a pasted config.json becomes ``--hf-config config.json``)."""
    by_name = {f.name: f for f in calculators.get(name).all_fields()}
    words = ["cookbook", name]
    for key, v in inputs.items():
        if v in (None, "") or key not in by_name:
            continue
        f = by_name[key]
        if f.kind == "bool":
            words.append(f.flag if _value_text(v).lower() in ("true", "1", "yes", "on") else
                         "--no-" + f.flag[2:])
        elif f.name == "hf_config":
            words += [f.flag, "config.json"]
        else:
            words += [f.flag, _value_text(v)]
    return " ".join(shlex.quote(w) for w in words)


def chart_parts(result: dict, keys=None) -> tuple[str, dict] | None:
    """The breakdown a stacked bar shows: the top-level ``keys`` a calculator names in ``extra["chart"]``, else
    the first of ``per_gpu``/``breakdown`` whose parts are all numbers >= 0; None if fewer than two are > 0."""
    if keys:
        parts = {k: result.get(k) for k in keys}
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in parts.values()):
            nonzero = {k: v for k, v in parts.items() if v > 0}
            return ("total", nonzero) if len(nonzero) >= 2 else None
        return None
    for key in _CHART_KEYS:
        d = result.get(key)
        if not isinstance(d, dict):
            continue
        parts = {k: v for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if parts and len(parts) == len(d) and all(v >= 0 for v in parts.values()):
            nonzero = {k: v for k, v in parts.items() if v > 0}
            if len(nonzero) >= 2:
                return key, nonzero
    return None


def _chart(title: str, result: dict, keys=None) -> str:
    found = chart_parts(result, keys)
    if not found:
        return ""
    key, parts = found
    total = sum(parts.values())
    width, bar_h, row_h = 600, 28, 22
    x, rects, legend = 0.0, [], []
    for i, (k, v) in enumerate(parts.items()):
        w = width * v / total
        share = f"{100 * v / total:.1f}%"
        rects.append(f'<rect class="cookbook-seg-{i % _COLORS}" x="{x:.2f}" y="0" width="{w:.2f}" height="{bar_h}">'
                     f"<title>{_e(_label(k))}: {share}</title></rect>")
        y = bar_h + 12 + (i // 2) * row_h
        lx = 0 if i % 2 == 0 else width // 2
        legend.append(f'<rect class="cookbook-seg-{i % _COLORS}" x="{lx}" y="{y}" width="14" height="14"/>'
                      f'<text x="{lx + 20}" y="{y + 12}">{_e(_label(k))} {share}</text>')
        x += w
    height = bar_h + 12 + ((len(parts) + 1) // 2) * row_h
    summary = ", ".join(f"{_label(k)} {100 * v / total:.1f}%" for k, v in parts.items())
    label = f"{title}: shares of {key.replace('_', ' ')}: {summary}"
    return (f'<figure class="cookbook-calc__chart"><svg viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{_e(label)}" preserveAspectRatio="xMinYMin meet">{"".join(rects)}{"".join(legend)}</svg>'
            f"<figcaption>Shares of {_e(key.replace('_', ' '))} (the table has the numbers)</figcaption></figure>")


def _table(title: str, rows) -> str:
    body = []
    for label, value in rows:
        indent = len(label) - len(label.lstrip(" "))
        cls = f' class="cookbook-calc__sub{min(indent // 2, 3)}"' if indent else ""
        body.append(f'<tr><th scope="row"{cls}>{_e(label.strip())}</th><td>{_e(value)}</td></tr>')
    return (f'<table class="cookbook-calc__table"><caption>{_e(title)}</caption><tbody>{"".join(body)}</tbody>'
            "</table>")


def _status(title: str, rows) -> str:
    """One line for screen readers: the first "total…" row, else the first row with a number."""
    for label, value in rows:
        if label.strip().lower().startswith("total"):
            return f"{title} updated: {label.strip()} {value}"
    for label, value in rows:
        if any(ch.isdigit() for ch in str(value)) and label.strip() != "model":
            return f"{title} updated: {label.strip()} {value}"
    return f"{title} updated"


def result_html(name: str, inputs: dict) -> tuple[bool, str, str, dict | None]:
    """(ok, html, status, result) for raw inputs; a CookbookError becomes its message, shown inline."""
    calc = calculators.get(name)
    try:
        result = calculators.run(name, inputs)
    except CookbookError as e:
        msg = str(e)
        return False, f'<p class="cookbook-calc__error"><strong>Input error:</strong> {_e(msg)}</p>', \
            f"Error: {msg}", None
    rows = calculators.rows(name, result)
    cmd = cli_command(name, inputs)
    out = [_table(calc.title, rows)]
    if calc.legend:
        out.append(f'<p class="cookbook-calc__legend">Units and conventions: {_e(calc.legend)}</p>')
    out.append(_chart(calc.title, result, calc.extra.get("chart")))
    out.append(f'<details class="cookbook-calc__json"><summary>JSON, as printed by <code>{_e(cmd)} --json</code>'
               f'</summary><pre><code>{_e(json.dumps(result, indent=2))}</code></pre></details>')
    return True, "".join(out), _status(calc.title, rows), result


def live(name: str, inputs_json: str) -> str:
    """Called by the page's worker: JSON {ok, html, status}. An unexpected exception is reported, not raised."""
    try:
        inputs = json.loads(inputs_json)
        ok, body, status, _ = result_html(name, inputs)
    except CookbookError as e:
        ok, body, status = False, f'<p class="cookbook-calc__error">{_e(e)}</p>', f"Error: {e}"
    except Exception as e:  # a bug, not bad input: show it rather than leave a stale result
        msg = f"internal error ({type(e).__name__}: {e}); please report it with this page's link"
        ok, body, status = False, f'<p class="cookbook-calc__error">{_e(msg)}</p>', msg
    return json.dumps({"ok": ok, "html": body, "status": status})


def default_inputs(name: str) -> dict:
    """Inputs a calculator shows when a page names none: its ``extra["example"]`` if it has one, else a preset."""
    calc = calculators.get(name)
    if isinstance(calc.extra.get("example"), dict):
        return dict(calc.extra["example"])
    for f in calc.describe()["fields"]:
        if f["name"] == "preset" and f["choices"]:
            return {"preset": _DEFAULT_PRESET if _DEFAULT_PRESET in f["choices"] else f["choices"][0]}
    return {}


def calc_block(name: str, inputs: dict | None = None, block_id: str | None = None, strict: bool = True) -> str:
    """The whole calculator with its build-time result. Inputs a page author gave (``strict``) must be valid, or
    this raises and the build fails; otherwise (a calculator's own defaults) the message is shown inline."""
    inputs = dict(inputs or {})
    calc = calculators.get(name)
    desc = calc.describe()
    block_id = block_id or f"calc-{name}"
    ok, body, status, _ = result_html(name, inputs)
    if not ok and strict:
        raise CookbookError(f"calculator {name!r} with data-inputs {inputs!r}: {status}")
    values = {k: v for k, v in inputs.items()}
    defaults = _e(json.dumps({k: _value_text(v) for k, v in inputs.items()}))
    help_ = f'<p class="cookbook-calc__help">{_e(desc["help"])}</p>' if desc.get("help") else ""
    return (f'<div class="cookbook-calc" id="{block_id}" data-calc="{_e(name)}" data-defaults="{defaults}" '
            f'data-state="{"static" if ok else "invalid"}">'
            f'<form class="cookbook-calc__form" novalidate aria-labelledby="{block_id}-title">'
            f'<p class="cookbook-calc__title" id="{block_id}-title"><strong>{_e(calc.title)}</strong> calculator</p>'
            f"{help_}{_form(desc, block_id, values)}"
            f'<div class="cookbook-calc__actions"><button type="submit" class="md-button md-button--primary">'
            f'Compute</button><a class="cookbook-calc__link" href="#{block_id}">Link to this result</a>'
            f'<span class="cookbook-calc__engine">Computed when the site was built. Live results need '
            f"JavaScript; Python then runs in this page, offline.</span></div></form>"
            f'<p class="cookbook-calc__status" role="status" aria-live="polite" aria-atomic="true"></p>'
            f'<output class="cookbook-calc__output" data-source="build" aria-label="{_e(calc.title)} result">'
            f"{body}</output></div>")
