"""Markdown of one table section: anchor heading, CPU label, conditions, the table, plot, downloads, IDs, BibTeX."""

from __future__ import annotations

from benchtables.conditions import conditions
from benchtables.exports import bibtex
from benchtables.table import Table
from cookbook import units

__all__ = ["md_table", "section", "esc"]


def esc(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def md_table(headers, rows) -> str:
    out = ["| " + " | ".join(esc(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _mamf(t: Table) -> str:
    """mamf-finder's MAMF over this table's shapes: the highest FLOP/s at the median time."""
    if t.kind.name != "mamf":
        return ""
    best = max(t.rows, key=lambda r: r["metrics"]["flop_per_s_median"])
    p = best["params"]
    return (f"**MAMF, {p['dtype']}** (highest FLOP/s at the median time over the {len(t.rows)} shapes below): "
            f"**{units.si(best['metrics']['flop_per_s_median'], 'FLOP/s')}** at M={p['m']}, N={p['n']}, "
            f"K={p['k']} (record `{best['record_id']}`).\n\n")


def _summary(t: Table) -> str:
    if not t.extra:
        return _mamf(t)
    m = t.extra[0]["metrics"]
    b = m["best_shape_by_median"]
    return (f"**MAMF summary record** `{t.extra[0]['record_id']}` of the search (over all its "
            f"{m['shapes_measured']} shapes and dtypes): **{units.si(m['flop_per_s_median'], 'FLOP/s')}** at the "
            f"median time, {b['dtype']}, M={b['m']}, N={b['n']}, K={b['k']}; highest at the minimum time: "
            f"{units.si(m['max_flop_per_s_by_min'], 'FLOP/s')}.\n\n") + _mamf(t)


def _excluded(t: Table) -> str:
    if not t.excluded:
        return ""
    parts = "; ".join(f"{n} x {why}" for why, n in t.excluded)
    return f"Not published (records kept in results/{t.set_name}/): {parts}.\n\n"


def section(t: Table, has_plot: bool) -> str:
    cpu = ('!!! warning "CPU measurement"\n    Measured on a CPU. These numbers describe this CPU run only; they are '
           "not accelerator figures and say nothing about GPU performance.\n\n") if t.cpu else ""
    cond = md_table(("Condition", "Value"), conditions(t.records, t.note))
    rows = [[c.fmt(c.get(r)) for c in t.kind.columns] for r in t.rows]
    table = md_table([c.title for c in t.kind.columns], rows)
    plot = (f"![{t.title}: plot of table {t.id}](plots/{t.id}.svg)\n\nPlot data: [plots/{t.id}.csv](plots/{t.id}.csv)"
            "\n\n") if has_plot else ""
    ids = "\n".join(t.record_ids)
    return (f"## {t.title} ({'CPU' if t.cpu else 'GPU'}, set {t.set_name}) {{#{t.id}}}\n\n{cpu}"
            f"Table **`{t.id}`**, version {t.version} (benchmark_version of its records), {len(t.records)} records, "
            f"data digest `{t.digest}`.\n\n{cond}\n\n{_summary(t)}{table}\n\n{_excluded(t)}{plot}"
            f"Downloads: [CSV](data/{t.id}.csv) · [JSON](data/{t.id}.json) · "
            f"[records (JSONL)](data/{t.id}.records.jsonl) · [BibTeX](data/{t.id}.bib)\n\n"
            f"<details><summary>Record IDs ({len(t.record_ids)})</summary>\n<pre>{ids}</pre>\n</details>\n\n"
            f"```bibtex\n{bibtex(t)}```\n\n")
