"""cookbook.comm against nccl-tests' definitions (src/<collective>.cu *GetBw and *GetCollByteCount, and
doc/PERFORMANCE.md), hand-computed; plus the all-reduce identity busbw/algbw = 2(n-1)/n for every n."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from cookbook import comm
from cookbook.errors import CookbookError

# (collective, ranks n, per-rank count, element bytes, seconds) -> (S bytes, algbw B/s, busbw B/s), by hand from
# nccl-tests: AllReduce S = count*elem, busbw = algbw*2(n-1)/n; AllGather S = sendcount*elem*n, (n-1)/n;
# ReduceScatter S = recvcount*elem*n, (n-1)/n; AlltoAll S = count*n*elem, (n-1)/n; Broadcast/Reduce/SendRecv 1.
HAND = [
    ("all_reduce", 8, 1 << 20, 4, 1e-3, 4_194_304, 4.194304e9, 7.340032e9),
    ("all_reduce", 2, 1000, 2, 1e-6, 2000, 2e9, 2e9),
    ("all_gather", 4, 1024, 4, 1e-3, 16384, 1.6384e7, 1.2288e7),
    ("reduce_scatter", 4, 256, 2, 1e-6, 2048, 2.048e9, 1.536e9),
    ("all_to_all", 8, 128, 4, 1e-6, 4096, 4.096e9, 3.584e9),
    ("broadcast", 16, 500, 4, 1e-3, 2000, 2e6, 2e6),
    ("reduce", 16, 500, 4, 1e-3, 2000, 2e6, 2e6),
    ("sendrecv", 3, 256, 4, 1e-6, 1024, 1.024e9, 1.024e9),
]


@pytest.mark.parametrize("op,n,count,elem,t,size,alg,bus", HAND, ids=[f"{h[0]}-n{h[1]}" for h in HAND])
def test_against_nccl_tests_definitions(op, n, count, elem, t, size, alg, bus):
    assert comm.size_bytes(op, n, count, elem) == size
    assert comm.per_rank_count(op, n, size, elem) == count
    assert comm.algbw(size, t) == pytest.approx(alg, rel=1e-12)
    assert comm.busbw(op, n, size, t) == pytest.approx(bus, rel=1e-12)


@given(st.integers(min_value=1, max_value=100_000))
def test_all_reduce_busbw_over_algbw_is_2_n_minus_1_over_n(n):
    assert comm.busbw_factor("all_reduce", n) == Fraction(2 * (n - 1), n)
    assert comm.busbw("all_reduce", n, 10**9, 0.5) / comm.algbw(10**9, 0.5) == pytest.approx(2 * (n - 1) / n)


@given(st.integers(min_value=1, max_value=4096), st.sampled_from(comm.COLLECTIVES), st.integers(1, 10**12))
def test_bytes_sent_per_rank_is_size_times_factor(n, op, size):
    assert comm.bytes_sent_per_rank(op, n, size) == size * comm.busbw_factor(op, n)


def test_nvls_factor_as_current_nccl_tests():
    """all_reduce.cu: NCCL_ALGO=NVLS/NVLSTREE -> (n-1)/(n+1); other values and other collectives unchanged."""
    assert comm.busbw_factor("all_reduce", 8, "NVLS") == Fraction(7, 9)
    assert comm.busbw_factor("all_reduce", 8, "NVLSTREE") == Fraction(7, 9)
    assert comm.busbw_factor("all_reduce", 8, "Ring") == Fraction(7, 4)
    assert comm.busbw_factor("all_gather", 8, "NVLS") == Fraction(7, 8)


def test_per_rank_count_rounds_down():
    assert comm.per_rank_count("all_gather", 3, 1000, 4) == 83  # 1000 // 4 // 3
    assert comm.size_bytes("all_gather", 3, 83, 4) == 996


@pytest.mark.parametrize("call", [lambda: comm.busbw_factor("allreduce", 2), lambda: comm.busbw_factor("all_reduce", 0),
                                  lambda: comm.algbw(10, 0.0), lambda: comm.per_rank_count("all_reduce", 2, -1, 4)])
def test_bad_input_raises_cookbook_error(call):
    with pytest.raises(CookbookError):
        call()
