"""The table scripts (scripts/benchtables) against independent definitions, on the golden fixture of real CPU
records: rates = the published FLOP/byte/busbw definitions over the measured median time, record IDs = the
records that pass the publication rule, CPU labels everywhere, sealing stops edited records."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from fractions import Fraction

import pytest

from tables_helpers import FIXTURE, ROOT  # noqa: I001
from benchtables import TableError, render_all
from benchtables.load import load_sets, seal, unsealed

# nccl-tests src/*.cu *GetBw factors (busbw = algbw * factor), n ranks: the independent truth for busbw
NCCL_TESTS_FACTOR = {"all_reduce": lambda n: Fraction(2 * (n - 1), n), "all_gather": lambda n: Fraction(n - 1, n),
                     "reduce_scatter": lambda n: Fraction(n - 1, n), "all_to_all": lambda n: Fraction(n - 1, n),
                     "broadcast": lambda n: Fraction(1), "sendrecv": lambda n: Fraction(1)}
# BabelStream bytes per element moved (no write-allocate)
STREAM_WORDS = {"copy": 2, "scale": 2, "add": 3, "triad": 3, "dot": 2}
ELEM = {"fp32": 4, "bf16": 2, "fp16": 2, "fp64": 8}


@pytest.fixture(scope="module")
def files():
    return render_all(FIXTURE)


def _records():
    return [json.loads(line) for f in sorted(FIXTURE.glob("*/*.jsonl")) for line in f.read_text().splitlines()
            if line.strip()]


def _csv_rows(files):
    for rel, data in files.items():
        if rel.startswith("data/") and rel.endswith(".csv") and not rel.startswith("data/predictions"):
            yield rel, list(csv.DictReader(io.StringIO(data.decode())))


def _close(a, b):
    assert float(a) == pytest.approx(float(b), rel=1e-12)


def test_fixture_covers_every_kind(files):
    kinds = {json.loads(v)["kind"] for k, v in files.items() if k.endswith(".json") and k != "data/published.json"}
    assert {"gemm", "gemm_model", "mamf", "attention", "membw", "layer", "all_reduce", "all_gather"} <= kinds


def test_rates_are_definitions_over_median_time(files):
    seen = set()
    for rel, rows in _csv_rows(files):
        for r in rows:
            med = float(r["time_median_s"])
            kind = rel.split("/")[1].split("-")[0]
            if r.get("m") and r.get("kind") != "summary":
                flop = 2 * int(r["m"]) * int(r["n"]) * int(r["k"]) * int(r.get("batch") or 1)  # NVIDIA guide: 2MNK
                _close(r["flop"], flop)
                _close(r["flop_per_s_median"], flop / med)
                seen.add("gemm")
            elif r.get("kernel"):
                _close(r["bytes"], STREAM_WORDS[r["kernel"]] * int(r["numel"]) * ELEM[r["dtype"]])
                _close(r["bytes_per_s_median"], float(r["bytes"]) / med)
                seen.add("membw")
            elif r.get("backend") in ("math", "flash"):
                b, h, s, d = (int(r[k]) for k in ("batch", "heads", "seq", "head_dim"))
                fwd = 4 * b * s * s * h * d // (2 if r["causal"] == "True" else 1)  # flash-attention benchmark
                _close(r["flop"], fwd if r["pass"] == "fwd" else fwd * 7 // 2)
                seen.add("attention")
            elif r.get("placement"):
                n, size = int(r["world_size"]), int(r["size_bytes"])
                _close(r["algbw_bytes_per_s_median"], size / med)
                _close(r["busbw_bytes_per_s_median"], size / med * NCCL_TESTS_FACTOR[r["op"]](n))
                seen.add(f"comm-{kind}")
    assert {"gemm", "membw", "attention", "comm-all"} <= seen


def _published(rec):
    return rec["status"] == "ok" and rec["wrong"] == 0


def test_record_ids_under_tables_are_exactly_the_published_records(files):
    listed = set()
    for rel, data in files.items():
        if rel.endswith(".json") and rel != "data/published.json":
            listed |= set(json.loads(data)["record_ids"])
    recs = _records()
    assert listed == {r["record_id"] for r in recs if _published(r)}
    assert any(not _published(r) for r in recs), "the fixture keeps one unpublished (skipped) record"


def test_every_table_page_links_its_downloads_and_ids(files):
    for rel, data in files.items():
        if not (rel.endswith(".json") and rel.startswith("data/") and rel != "data/published.json"):
            continue
        t = json.loads(data)
        page = files[t["page"].split("/")[1] + ".md"].decode()
        assert f"{{#{t['id']}}}" in page
        for ext in ("csv", "json", "records.jsonl", "bib"):
            assert f"(data/{t['id']}.{ext})" in page and f"data/{t['id']}.{ext}" in files
        assert all(i in page for i in t["record_ids"])
        assert t["digest"] in page
        lines = files[f"data/{t['id']}.records.jsonl"].decode().splitlines()
        assert sorted(json.loads(x)["record_id"] for x in lines) == t["record_ids"]


def test_cpu_labelled_everywhere(files):
    for rel, data in files.items():
        text = data.decode() if not rel.endswith(".svg") else ""
        if rel.endswith(".bib"):
            assert "CPU measurement, not an accelerator figure" in text
        if rel.endswith(".csv") and rel.startswith("data/") and "predictions" not in rel:
            assert {r["device_class"] for r in csv.DictReader(io.StringIO(text))} == {"cpu"}
        if rel.endswith(".md") and rel != "index.md":
            assert text.count("## ") == text.count('!!! warning "CPU measurement"')


def test_anchors_unique_and_versioned(files):
    ids = [json.loads(v)["id"] for k, v in files.items() if k.endswith(".json") and k != "data/published.json"]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+-v[0-9]+", i) for i in ids)


def test_bibtex_entries_are_balanced(files):
    for rel, data in files.items():
        if rel.endswith(".bib"):
            text = data.decode()
            assert text.startswith("@misc{cookbook-") and text.count("{") == text.count("}")
            assert re.search(r"year\s+= \{20\d\d\}", text) and "howpublished" in text


def test_predictions_from_measured_gemms(files):
    rows = list(csv.DictReader(io.StringIO(next(v for k, v in files.items()
                                                 if k.startswith("data/predictions") and k.endswith(".csv")).decode())))
    peak = float(rows[0]["peak_flop_per_s"])
    for r in rows:
        _close(r["ideal_time_s"], int(r["flop"]) / peak)
        _close(r["achieved_fraction_of_peak"], float(r["ideal_time_s"]) / float(r["measured_median_s"]))
    layer = sum(float(r["measured_median_s"]) for r in rows if r["gemm"] != "logits")
    logits = next(float(r["measured_median_s"]) for r in rows if r["gemm"] == "logits")
    page = files["predictions.md"].decode()
    from cookbook.units import seconds
    assert seconds(3 * (12 * layer + logits)) in page  # GPT-2: 12 layers; training = 3 x forward
    mamf = [json.loads(line) for line in (FIXTURE / "cpu-fixture" / "mamf.jsonl").read_text().splitlines()]
    assert peak == max(r["metrics"]["flop_per_s_median"] for r in mamf if r["params"]["dtype"] == "fp32")


def _copy(tmp_path):
    dst = tmp_path / "results"
    shutil.copytree(FIXTURE, dst)
    return dst, dst / "cpu-fixture"


def _edit_first_line(path, fn):
    lines = path.read_text().splitlines()
    rec = json.loads(lines[0])
    fn(rec)
    lines[0] = json.dumps(rec)
    path.write_text("\n".join(lines) + "\n")


def test_editing_a_sealed_record_stops_rendering(tmp_path):
    results, s = _copy(tmp_path)
    _edit_first_line(s / "gemm.jsonl", lambda r: r["metrics"].__setitem__("flop_per_s_median", 1e15))
    with pytest.raises(TableError, match="changed after the set was sealed"):
        render_all(results)


def test_flops_that_disagree_with_the_package_are_refused(tmp_path):
    results, s = _copy(tmp_path)
    _edit_first_line(s / "gemm.jsonl", lambda r: r["metrics"].__setitem__("flop", r["metrics"]["flop"] + 1))
    (s / "MANIFEST.json").write_text(json.dumps(seal(s)))
    with pytest.raises(TableError, match="cookbook package counts"):
        render_all(results)


def test_unsealed_folders_are_not_published(tmp_path):
    results, s = _copy(tmp_path)
    (s / "MANIFEST.json").unlink()
    assert load_sets(results) == []
    files = render_all(results)
    assert unsealed(results) == ["cpu-fixture"]
    assert json.loads(files["data/published.json"])["tables"] == []
    assert not [k for k in files if k.startswith("data/") and k != "data/published.json"]


def test_svg_plots_are_deterministic():
    a, b = render_all(FIXTURE), render_all(FIXTURE)
    svgs = [k for k in a if k.endswith(".svg")]
    assert svgs and all(a[k] == b[k] for k in svgs)


def test_citation_cff():
    import yaml
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "license"} <= set(cff)
    assert all("name" in a or "family-names" in a for a in cff["authors"])


def _as_gpu(rec, publishable=True):
    """A fixture record relabelled as a GPU record (test input only; never written to results/)."""
    r = json.loads(json.dumps(rec))
    r["provenance"].update(device="cuda:0", devices=[{"index": 0, "name": "NVIDIA H100 80GB HBM3",
                                                      "multi_processor_count": 132}])
    r["publishable"] = publishable
    return r


def _gemm_sweep():
    return [r for r in _records() if r["benchmark"] == "gemm" and "preset" not in r["params"]]


def test_gpu_records_need_publishable_and_are_labelled_gpu():
    from benchtables.select import exclusion, hardware_label
    rec = _gemm_sweep()[0]
    assert exclusion(rec) is None and hardware_label(rec).startswith("CPU: AMD EPYC")
    assert exclusion(_as_gpu(rec, publishable=False)) == "GPU record not marked publishable"
    assert exclusion(_as_gpu(rec)) is None and hardware_label(_as_gpu(rec)) == "GPU: NVIDIA H100 80GB HBM3"


def test_gpu_gemm_plot_overlays_tile_and_wave_quantization():
    """The model line = best rate x efficiency / max efficiency, efficiency per the NVIDIA guide's definitions
    (tile: useful / computed outputs; wave: tiles / (waves x SMs)), written out here independently."""
    from benchtables.load import RecordSet
    from benchtables.plots import PLOT_TILE, _series_gemm
    from benchtables.table import build_tables
    recs = [_as_gpu(r) for r in _gemm_sweep()]
    t = build_tables(RecordSet("gpu-test", tuple(recs), {}))[0]
    assert not t.cpu
    xlabel, unit, series, _ = _series_gemm(t)
    (label, xs, ys), = [s for s in series if s[0].startswith("tile+wave")]
    tm, tn = PLOT_TILE

    def eff(m, n, sms=132):
        tiles = -(-m // tm) * -(-n // tn)
        return m * n / (tiles * tm * tn) * tiles / (-(-tiles // sms) * sms)
    best = max(r["metrics"]["flop_per_s_best"] for r in recs)
    top = max(eff(m, 512) for m in xs)
    assert xlabel == "M" and unit == "FLOP/s" and "132 SMs" in label
    assert ys == pytest.approx([best * eff(m, 512) / top for m in xs], rel=1e-12)


def test_record_id_and_digest_properties():
    """IDs: the harness's UUID, else a hash of the canonical JSON (key order irrelevant); the digest ignores record
    order and changes with any number."""
    from benchtables.load import digest, record_id
    recs = _gemm_sweep()
    assert record_id(recs[0]) == recs[0]["record_id"]
    bare = {k: v for k, v in recs[0].items() if k != "record_id"}
    shuffled = dict(reversed(list(bare.items())))
    assert record_id(bare) == record_id(shuffled) and record_id(bare).startswith("sha256:")
    assert digest(recs) == digest(list(reversed(recs)))
    changed = json.loads(json.dumps(recs))
    changed[-1]["stats"]["median"] *= 1.0000001
    assert digest(changed) != digest(recs)


def test_mamf_line_is_the_best_median_over_shapes(files):
    page = files["gemm.md"].decode()
    mamf = [json.loads(line) for line in (FIXTURE / "cpu-fixture" / "mamf.jsonl").read_text().splitlines()]
    best = max(mamf, key=lambda r: r["metrics"]["flop_per_s_median"])
    from cookbook.units import si
    assert f"**{si(best['metrics']['flop_per_s_median'], 'FLOP/s')}** at M={best['params']['m']}" in page


def test_per_rank_compute_runs_get_one_table_per_rank():
    """torchrun ... -m bench mamf measures every GPU: run IDs end in -r<rank> (bench.launch); never mixed."""
    from benchtables.load import RecordSet
    from benchtables.table import build_tables
    recs = []
    for rank in (0, 1):
        for r in json.loads(json.dumps(_gemm_sweep())):
            r["run_id"] += f"-r{rank}"
            r["record_id"] += f"r{rank}"
            recs.append(r)
    tables = build_tables(RecordSet("node", tuple(recs), {}))
    assert [t.id for t in tables] == ["gemm-fp32-rank0-node-v1", "gemm-fp32-rank1-node-v1"]
    assert [t.title for t in tables] == ["GEMM sweep, fp32, rank 0", "GEMM sweep, fp32, rank 1"]
