"""The README's examples run: every `cookbook ...` line exits 0, and the Python block gives the value it shows."""

import pathlib
import re
import shlex

import pytest

from cookbook.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
CLI_LINES = [ln for lang, body in BLOCKS if lang == "sh" for ln in body.splitlines() if ln.startswith("cookbook ")]


def test_readme_has_the_two_commands_and_examples():
    sh = "\n".join(body for lang, body in BLOCKS if lang == "sh")
    assert "bash scripts/serve.sh" in sh and "bash scripts/test.sh" in sh
    assert len(CLI_LINES) >= 8


@pytest.mark.parametrize("line", CLI_LINES)
def test_cli_example_runs(line, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(shlex.split(line)[1:]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip()


def test_python_example_value():
    body = next(body for lang, body in BLOCKS if lang == "python")
    env: dict = {}
    checked = 0
    for line in body.splitlines():
        code, _, shown = line.partition("#")
        if shown.strip().isdigit():
            assert eval(code, env) == int(shown.strip()), line
            checked += 1
        elif code.strip():
            exec(code, env)
    assert checked == 1
