"""cookbook.parallelism against the volumes stated in the ZeRO, Megatron-LM and sequence-parallelism papers."""

from fractions import Fraction

import pytest

from cookbook.errors import CookbookError
from cookbook.parallelism import Collective, dp_collectives, pp_collectives, sent_per_gpu, tp_collectives
from cookbook.presets import get_preset

PSI = 7_500_000_000  # the 7.5B model of Rajbhandari et al. 2020


@pytest.mark.parametrize("zero,psi_multiple", [(0, 2), (1, 2), (2, 2), (3, 3)])
def test_zero_volumes_match_rajbhandari_section_7(zero, psi_multiple):
    # section 7.2: DP and ZeRO-1/2 move 2 Psi elements per GPU, ZeRO-3 3 Psi; ring collectives send (n-1)/n of that
    for n in (2, 8, 64):
        sent = sent_per_gpu(dp_collectives(PSI, n, zero, grad_bytes=2, weight_bytes=2))
        assert sent == psi_multiple * PSI * 2 * Fraction(n - 1, n)


def test_megatron_four_all_reduces_per_layer_and_sp_moves_the_same_bytes():
    m = get_preset("llama-3-8b")
    plain = tp_collectives(m, 2, 4096, 8, micro_batches=3)
    assert sum(c.calls for c in plain) == 4 * m.num_layers * 3  # Shoeybi et al. 2019: 2 fwd + 2 bwd per layer
    assert all(c.op == "all_reduce" and c.size == 2 * 4096 * m.hidden_size * 2 for c in plain)
    sp = tp_collectives(m, 2, 4096, 8, micro_batches=3, sequence_parallel=True)
    assert sent_per_gpu(sp) == sent_per_gpu(plain)  # Korthikanti et al. 2022, 4.2.2: same bandwidth


def test_pipeline_sends_one_activation_and_one_gradient_per_micro_batch():
    m = get_preset("llama-3-8b")
    pp = pp_collectives(m, 1, 2048, 8)
    assert sent_per_gpu(pp) == 2 * 8 * 2048 * m.hidden_size * 2
    sp = pp_collectives(m, 1, 2048, 8, tp=4, sequence_parallel=True)
    assert sent_per_gpu(sp) * 4 == sent_per_gpu(pp)


def test_time_is_bytes_over_busbw():
    c = Collective("x", "all_reduce", 8, 8 * 10**9, 1)
    # nccl-tests: busbw = S/t * 2(n-1)/n, so t = S * 2(n-1)/n / busbw
    assert c.seconds(400e9) == pytest.approx(8e9 * 2 * 7 / 8 / 400e9)


@pytest.mark.parametrize("call", [lambda: dp_collectives(0, 8), lambda: dp_collectives(10, 8, zero=4),
                                  lambda: Collective("x", "all_reduce", 2, 1, 1).seconds(0),
                                  lambda: tp_collectives(get_preset("gpt2"), 1, 0, 2)])
def test_bad_input(call):
    with pytest.raises(CookbookError):
        call()
