"""ParallelLayout validation and pipeline in-flight counts."""

import pytest

from cookbook.errors import CookbookError
from cookbook.layout import ParallelLayout


@pytest.mark.parametrize("kw,msg", [
    (dict(tp=0), "tp must be a positive integer"),
    (dict(zero=4), "zero must be 0, 1, 2 or 3"),
    (dict(zero=3, fsdp="full_shard"), "not both"),
    (dict(fsdp="bogus"), "fsdp must be one of"),
    (dict(ep=3, dp=4), r"ep \(3\) must divide dp\*cp \(4\*1 = 4\)"),
    (dict(virtual_stages=2, pp=2), "needs schedule='interleaved'"),
    (dict(schedule="interleaved"), "needs pp > 1"),
    (dict(fsdp="hybrid_shard", dp=12, shard_group=8), r"hybrid_shard group \(8\) must divide dp\*cp \(12\)"),
])
def test_layout_rejects_with_numbers(kw, msg):
    with pytest.raises(CookbookError, match=msg):
        ParallelLayout(**kw)


def test_derived_values():
    lay = ParallelLayout(tp=2, pp=4, dp=8, cp=2, ep=4, zero=1, micro_batch=2, num_microbatches=16)
    assert lay.world_size == 128 and lay.dp_group == 16 and lay.shard_size == 16 and lay.expert_shard_size == 4
    assert lay.global_batch == 2 * 16 * 8
    assert ParallelLayout(dp=32, fsdp="hybrid_shard").shard_size == 8
    assert ParallelLayout(dp=8, fsdp="shard_grad_op").zero_stage == 2


def test_in_flight_micro_batches():
    assert [ParallelLayout(pp=4, num_microbatches=8).in_flight(s) for s in range(4)] == [4, 3, 2, 1]
    assert ParallelLayout(pp=4, num_microbatches=2).in_flight(0) == 2
    # interleaved, Korthikanti et al. 2022 section 4.2.3: pp * (1 + (pp - 1) / (pp * v))
    lay = ParallelLayout(pp=8, num_microbatches=64, schedule="interleaved", virtual_stages=3)
    assert lay.in_flight(0) == pytest.approx(8 * (1 + 7 / 24))


def test_as_dict_round_trips():
    lay = ParallelLayout(tp=2, pp=2, dp=4, fsdp="hybrid_shard", shard_group=2, schedule="interleaved",
                         virtual_stages=2, num_microbatches=8)
    assert ParallelLayout(**lay.as_dict()) == lay


# ---- uneven pipeline splits (cookbook.layout.split_layers, Megatron-LM --decoder-first/last-pipeline-num-layers)

from cookbook.layout import balanced_split, split_layers  # noqa: E402


@pytest.mark.parametrize("L,chunks,first,last,want", [
    (126, 16, 7, 7, (7,) + (8,) * 14 + (7,)),  # Llama 3 405B (Llama 3 paper, section 3.3.2)
    (126, 16, None, None, (8,) * 14 + (7,) * 2),  # train_time's convention: the first chunks take the remainder
    (32, 4, None, None, (8, 8, 8, 8)),
    (30, 4, 6, None, (6, 8, 8, 8)),
    (30, 4, None, 3, (9, 9, 9, 3)),
    (9, 2, 4, 5, (4, 5)),
    (10, 2, 4, None, (4, 6)),
])
def test_split_layers(L, chunks, first, last, want):
    got = split_layers(L, chunks, first, last)
    assert got == want and sum(got) == L and len(got) == chunks
    if first is not None:
        assert got[0] == first
    if last is not None:
        assert got[-1] == last
    if first is not None or last is not None:
        assert len(set(got[1:-1])) <= 1  # middle even
    else:
        assert max(got) - min(got) <= 1


@pytest.mark.parametrize("args,msg", [
    ((126, 16, 7, 6), r"num_layers \(126\) - first/last stage layers \(7 \+ 6\) = 113 cannot be split evenly "
                      r"over the other 14"),
    ((9, 2, 4, 4), r"= 1 cannot be split evenly over the other 0"),
    ((8, 4, 7, 1), r"= 0 cannot be split evenly over the other 2"),
    ((8, 4, 0, None), "first_stage_layers must be a positive integer, got 0"),
    ((8, 1, 2, None), "need pp > 1"),
])
def test_split_layers_errors(args, msg):
    with pytest.raises(CookbookError, match=msg):
        split_layers(*args)


def test_balanced_split():
    assert balanced_split(126, 16) == (7, 7)
    assert balanced_split(126, 4) == (31, 31)
    assert balanced_split(33, 2) == (17, 16)
    assert balanced_split(126, 64) == (1, 1)
    assert balanced_split(10, 12) is None
    for L in range(2, 60):
        for pp in range(2, 20):
            s = balanced_split(L, pp)
            if s is not None:
                counts = split_layers(L, pp, *s)
                assert sum(counts) == L and max(counts) == -(-L // pp) and min(counts) >= 1


def test_uneven_layout_validation():
    from cookbook.presets import get_preset
    m = get_preset("llama-3.1-405b")
    lay = ParallelLayout(tp=8, pp=16, first_stage_layers=7, last_stage_layers=7)
    lay.check(m, 8192)
    assert lay.stage_layers(126) == (7,) + (8,) * 14 + (7,) and lay.uneven
    assert ParallelLayout(**lay.as_dict()) == lay
    with pytest.raises(CookbookError, match=r"not divisible by pp\*virtual_stages \(16\*1 = 16\); give "
                                            "first_stage_layers"):
        ParallelLayout(tp=8, pp=16).check(m, 8192)
    with pytest.raises(CookbookError, match=r"113 cannot be split evenly over the other 14"):
        ParallelLayout(pp=16, first_stage_layers=7, last_stage_layers=6).check(m, 8192)
    with pytest.raises(CookbookError, match="first_stage_layers = 7 needs pp > 1"):
        ParallelLayout(first_stage_layers=7)
    with pytest.raises(CookbookError, match="need virtual_stages = 1, got 2"):
        ParallelLayout(pp=4, schedule="interleaved", virtual_stages=2, last_stage_layers=3)
    with pytest.raises(CookbookError, match="last_stage_layers must be a positive integer, got -1"):
        ParallelLayout(pp=4, last_stage_layers=-1)
