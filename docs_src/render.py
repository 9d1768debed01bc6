"""Replace ``{{ module.function(literal args) }}`` in a page's Markdown by what the function returns.

Only functions of the chapter modules listed in ``MODULES`` can be called, and only with literal arguments
(numbers, strings, tuples, dicts...), so a page is data, not code. Anything else is a build error naming the page
text that failed.
"""

from __future__ import annotations

import ast
import importlib
import re

__all__ = ["MODULES", "PATTERN", "placeholders", "evaluate", "render", "DocsError"]

MODULES = ("params", "flops", "memory", "inference", "parallel", "gemm", "bench", "cli", "validation")
PATTERN = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\((.*?)\)\s*\}\}", re.S)


class DocsError(Exception):
    """A placeholder a page cannot be built with."""


def placeholders(markdown: str) -> list[str]:
    """Every ``{{ ... }}`` expression in ``markdown``, in order."""
    return [m.group(0) for m in PATTERN.finditer(markdown)]


def _args(text: str):
    call = ast.parse(f"f({text})", mode="eval").body
    args = [ast.literal_eval(a) for a in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return args, kwargs


def evaluate(module: str, function: str, args_text: str) -> str:
    """Call ``docs_src.<module>.<function>(*args)`` and return its result as text."""
    if module not in MODULES:
        raise DocsError(f"unknown docs module {module!r}; known: {', '.join(MODULES)}")
    mod = importlib.import_module(f"docs_src.{module}")
    fn = getattr(mod, function, None)
    if fn is None or function.startswith("_") or not callable(fn):
        raise DocsError(f"docs_src.{module} has no public function {function!r}")
    try:
        args, kwargs = _args(args_text)
    except (SyntaxError, ValueError) as e:
        raise DocsError(f"arguments of {module}.{function} must be literals: ({args_text}): {e}") from None
    try:
        return str(fn(*args, **kwargs))
    except Exception as e:  # the page names the call that failed; the cause stays chained for tracebacks
        raise DocsError(f"{module}.{function}({args_text}) raised {type(e).__name__}: {e}") from e


def render(markdown: str, where: str = "page") -> str:
    """``markdown`` with every placeholder replaced; a failing one raises DocsError naming ``where``."""
    def one(m: re.Match) -> str:
        try:
            return evaluate(m.group(1), m.group(2), m.group(3))
        except DocsError as e:
            raise DocsError(f"{where}: {m.group(0)}: {e}") from None
    return PATTERN.sub(one, markdown)
