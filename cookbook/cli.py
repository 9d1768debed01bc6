"""The command line: ``cookbook <calculator> [flags] [--json]`` and ``cookbook presets``.

Flags come from the calculators' field descriptions (cookbook.inputs); only this module prints.
Bad input: one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from cookbook import calculators
from cookbook.errors import CookbookError
from cookbook.hf import read_hf_config

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise CookbookError(f"{self.prog}: {message}")


def _add_field(p: argparse.ArgumentParser, f) -> None:
    if f.kind == "bool":
        p.add_argument(f.flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=f.help)
        return
    if f.name == "hf_config":
        p.add_argument("--hf-config", dest="hf_config", metavar="FILE", help="a Hugging Face config.json file")
        return
    extra = f" (one of: {', '.join(map(str, f.choices))})" if f.choices else ""
    default = f" [default {f.default}]" if f.default is not None else ""
    p.add_argument(f.flag, dest=f.name, metavar=f.name.upper(), help=f.help + extra + default)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cookbook", description="Transformer arithmetic: parameters, FLOPs, memory, time.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sp = sub.add_parser("presets", help="list the named models")
    sp.add_argument("--json", action="store_true", help="print JSON")
    for name, c in calculators.calculators().items():
        cp = sub.add_parser(name, help=c.help or c.title, description=c.help)
        for f in c.all_fields():
            _add_field(cp, f)
        cp.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def _table(title: str, rows, legend: str) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    lines = [title, "-" * len(title)] + [f"{k.ljust(width)}  {v}" for k, v in rows]
    if legend:
        lines.append(f"units: {legend}")
    return "\n".join(lines)


def _presets(as_json: bool) -> int:
    from cookbook.presets import PRESETS
    if as_json:
        print(json.dumps({n: {"source": p["source"]} for n, p in PRESETS.items()}, indent=2))
    else:
        width = max(map(len, PRESETS))
        for n, p in PRESETS.items():
            print(f"{n.ljust(width)}  {p['source']}")
    return 0


def main(argv=None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input). A closed pipe (``cookbook ... | head``) is not
    an error."""
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # keep the interpreter's final flush quiet
        return 0


def _main(argv: list) -> int:
    try:
        parser = build_parser()
        if not argv or argv[0] in ("-h", "--help"):
            parser.print_help()
            return 0 if argv else 2
        args = vars(parser.parse_args(argv))
        cmd = args.pop("command")
        as_json = args.pop("json", False)
        if cmd == "presets":
            return _presets(as_json)
        if args.get("hf_config"):
            args["hf_config"] = read_hf_config(args["hf_config"])
        inputs = {k: v for k, v in args.items() if v is not None}
        result = calculators.run(cmd, inputs)
    except CookbookError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    c = calculators.get(cmd)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print(_table(c.title, calculators.rows(cmd, result), c.legend))
    return 0
