"""Command-line sessions shown in pages: the real ``cookbook`` CLI run at build time."""

from __future__ import annotations

import contextlib
import io
import shlex

from cookbook.cli import main


def run(command: str) -> str:
    """A fenced block with ``$ cookbook <command>`` and what the CLI printed (exit status 0 required)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(shlex.split(command))
    if status != 0:
        raise ValueError(f"cookbook {command} exited with {status}")
    return f"```text\n$ cookbook {command}\n{out.getvalue().rstrip()}\n```"
