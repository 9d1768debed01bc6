"""`cookbook params` and `cookbook presets`, in process (cli.main) and as a subprocess (python -m cookbook)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CONFIGS, ROOT

from cookbook.cli import main
from cookbook.presets import PRESETS

LLAMA2_7B_FLAGS = ["--hidden-size", "4096", "--num-layers", "32", "--num-heads", "32", "--vocab-size", "32000",
                   "--ffn-size", "11008", "--gated-mlp"]

MIXTRAL_FLAGS = ["--hidden-size", "4096", "--num-layers", "32", "--num-heads", "32", "--num-kv-heads", "8",
                 "--vocab-size", "32000", "--ffn-size", "14336", "--gated-mlp", "--num-experts", "8", "--top-k", "2"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "cookbook", *args], capture_output=True, text=True, cwd=ROOT)


def run_main(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_params_json_keys_subprocess():
    p = run("params", "--preset", "llama-3-8b", "--json")
    assert p.returncode == 0 and p.stderr == ""
    r = json.loads(p.stdout)
    assert {"total", "active", "non_embedding", "breakdown", "conventions"} <= set(r)
    assert r["total"] == 8_030_261_248  # notes/calculators.md 9.1 (transformers, meta device)
    assert sum(r["breakdown"].values()) == r["total"]


@pytest.mark.parametrize("args,total,active", [
    # published anchors (notes/calculators.md 9.1): Llama-2-7B 6,738,415,616; Mixtral-8x7B 46,702,792,704
    (LLAMA2_7B_FLAGS, 6_738_415_616, 6_738_415_616),
    (MIXTRAL_FLAGS, 46_702_792_704, None),
    (["--preset", "gpt2"], 124_439_808, 124_439_808),
    (["--preset", "llama-3-8b", "--num-layers", "16"], 8_030_261_248 - 16 * 218_112_000, None),
])
def test_params_explicit_flags_main(capsys, args, total, active):
    rc, out, err = run_main(capsys, "params", *args, "--json")
    assert (rc, err) == (0, "")
    r = json.loads(out)
    assert r["total"] == total
    assert active is None or r["active"] == active


def test_flags_give_the_same_counts_as_the_real_config(capsys):
    """Mixtral-8x7B from explicit flags == from its config.json (checked against transformers in test_hf_real)."""
    _, flags, _ = run_main(capsys, "params", *MIXTRAL_FLAGS, "--json")
    _, config, _ = run_main(capsys, "params", "--hf-config", str(CONFIGS / "mixtral-8x7b.json"), "--json")
    for key in ("total", "active", "non_embedding", "breakdown"):
        assert json.loads(flags)[key] == json.loads(config)[key]


def test_params_hf_config_main_equals_subprocess(capsys):
    path = str(CONFIGS / "qwen3-30b-a3b.json")
    rc, out, _ = run_main(capsys, "params", "--hf-config", path, "--json")
    p = run("params", "--hf-config", path, "--json")
    assert rc == 0 == p.returncode and json.loads(out) == json.loads(p.stdout)


def test_params_human_table_labels_units_and_conventions():
    p = run("params", "--preset", "mixtral-8x7b")
    assert p.returncode == 0
    assert "46,702,792,704 (46.7 G)" in p.stdout and "units: parameters, exact" in p.stdout
    assert "convention: active" in p.stdout and "source" in p.stdout


def test_presets_lists_every_preset_with_source(capsys):
    rc, out, _ = run_main(capsys, "presets", "--json")
    assert rc == 0 and json.loads(out) == {n: {"source": p["source"]} for n, p in PRESETS.items()}
    p = run("presets")
    assert p.returncode == 0 and len(p.stdout.splitlines()) == len(PRESETS)


BAD = [
    (["params", "--preset", "llama-9"], "unknown preset 'llama-9'; known: pythia-70m"),
    (["params", "--hidden-size", "abc"], "--hidden-size must be an integer, got 'abc'"),
    (["params", "--hidden-size", "0", "--num-layers", "1", "--num-heads", "1", "--vocab-size", "1"],
     "--hidden-size must be >= 1, got 0"),
    (["params", "--hf-config", "/nonexistent.json"], "no such file '/nonexistent.json'"),
    (["params", "--hf-config", str(CONFIGS / "gpt2.json"), "--preset", "gpt2"], "either --preset or --hf-config"),
    (["params"], "no model given"),
    (["params", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["params", "--preset", "llama-3-8b", "--num-kv-heads", "5"],
     "num_heads (32) is not divisible by num_kv_heads (5)"),
    (["nonsense"], "invalid choice: 'nonsense'"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[:2]) for a, _ in BAD])
def test_bad_input_one_line_exit_2_main(capsys, args, message):
    rc, out, err = run_main(capsys, *args)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("args,message", BAD[:4], ids=[" ".join(a[:2]) for a, _ in BAD[:4]])
def test_bad_input_one_line_exit_2_subprocess(args, message):
    p = run(*args)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and message in p.stderr


def test_bad_json_file_and_unsupported_model_type(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    t5 = tmp_path / "t5.json"
    t5.write_text(json.dumps({"model_type": "t5", "d_model": 512}))
    for path, message in ((bad, "is not valid JSON (line 1"), (t5, "unsupported model_type 't5'")):
        p = run("params", "--hf-config", str(path), "--json")
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and message in p.stderr


def test_closed_pipe_is_not_an_error():
    """`cookbook presets | head -1`: the reader closes the pipe early; no traceback, exit 0."""
    p = subprocess.run(f"{sys.executable} -m cookbook presets | head -1; exit ${{PIPESTATUS[0]}}", shell=True,
                       executable="/bin/bash", capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and p.stderr == "" and p.stdout.count("\n") == 1
