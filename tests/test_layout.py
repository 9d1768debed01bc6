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
