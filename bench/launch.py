"""Launcher-agnostic process groups: torchrun, Slurm ``srun`` and ``mpirun`` (Open MPI, MPICH/Intel MPI).

``detect_launch(env)`` reads rank, world size, local rank and the rendezvous address from the environment each
launcher sets; ``init_distributed`` starts a torch.distributed group (NCCL on GPUs, gloo on CPUs) and returns a
``DistGroup`` that aggregates per-iteration times as the max over ranks.
"""

from __future__ import annotations

import datetime
import os
import re
import socket
import subprocess
from dataclasses import dataclass

import torch
import torch.distributed as dist

from bench.device import resolve_device
from bench.harness import Group
from bench.records import new_run_id

__all__ = ["detect_launch", "init_distributed", "DistGroup", "DistInfo", "rank_map", "first_slurm_host"]


def first_slurm_host(nodelist: str) -> str:
    """The first host of a Slurm node list: ``scontrol show hostnames`` when present, else a simple parse of
    ``pre[01-04,07],other`` forms."""
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.split()[0]
    except (OSError, subprocess.SubprocessError):
        pass
    first = re.split(r",(?![^\[]*\])", nodelist)[0]
    m = re.match(r"^(.*?)\[([^\]]+)\](.*)$", first)
    if not m:
        return first
    lo = m.group(2).split(",")[0].split("-")[0]
    return f"{m.group(1)}{lo}{m.group(3)}"


def detect_launch(env) -> dict | None:
    """``{launcher, rank, world_size, local_rank, master_addr, master_port}`` or None (a plain single process)."""
    def out(launcher, rank, world, local, addr=None):
        return {"launcher": launcher, "rank": int(rank), "world_size": int(world), "local_rank": int(local),
                "master_addr": env.get("MASTER_ADDR", addr), "master_port": env.get("MASTER_PORT", "29500")}
    if "RANK" in env and "WORLD_SIZE" in env:
        name = "torchrun" if "TORCHELASTIC_RUN_ID" in env else "env"
        return out(name, env["RANK"], env["WORLD_SIZE"], env.get("LOCAL_RANK", 0))
    if "SLURM_PROCID" in env and "SLURM_NTASKS" in env:
        nodes = env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST") or "localhost"
        return out("srun", env["SLURM_PROCID"], env["SLURM_NTASKS"], env.get("SLURM_LOCALID", 0),
                   first_slurm_host(nodes) if "MASTER_ADDR" not in env else None)
    if "OMPI_COMM_WORLD_RANK" in env:
        return out("mpirun (Open MPI)", env["OMPI_COMM_WORLD_RANK"], env["OMPI_COMM_WORLD_SIZE"],
                   env.get("OMPI_COMM_WORLD_LOCAL_RANK", 0))
    if "PMI_RANK" in env and "PMI_SIZE" in env:
        return out("mpirun (PMI)", env["PMI_RANK"], env["PMI_SIZE"], env.get("MPI_LOCALRANKID", 0))
    return None


class DistGroup(Group):
    """Cross-rank agreement over a torch.distributed group; samples become the per-iteration max over ranks."""

    rank_aggregation = "max over ranks, per iteration (nccl-tests -I 1)"

    def __init__(self, device: torch.device):
        self.device = device
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.is_writer = self.rank == 0

    def _t(self, values, dtype):
        return torch.tensor(values, dtype=dtype, device=self.device)

    def any(self, flag: bool) -> bool:
        return self.max_int(int(flag)) > 0

    def max_int(self, n: int) -> int:
        t = self._t([n], torch.int64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def aggregate(self, samples: list[float]) -> tuple[list[float], dict]:
        t = self._t(samples, torch.float64)
        mine = sorted(samples)[len(samples) // 2]
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        med = self._t([0.0] * self.world_size, torch.float64)
        med[self.rank] = mine
        dist.all_reduce(med, op=dist.ReduceOp.SUM)
        return t.tolist(), {"per_rank_median_s": med.tolist()}

    def barrier(self) -> None:
        if self.device.type == "cuda":
            dist.barrier(device_ids=[self.device.index])
        else:
            dist.barrier()


@dataclass
class DistInfo:
    launcher: str
    backend: str
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    group: DistGroup | None
    run_id: str

    def close(self, ok: bool) -> None:
        if self.group is not None and ok and dist.is_initialized():
            dist.destroy_process_group()


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def init_distributed(args, comm: bool) -> DistInfo | None:
    """Start the process group for a communication benchmark (a 1-rank group when no launcher is found); for a
    compute benchmark under a launcher, only read rank and local rank (each rank measures its own GPU)."""
    info = detect_launch(os.environ)
    if not comm:
        if info is None or info["world_size"] == 1:
            return None
        os.environ.setdefault("LOCAL_RANK", str(info["local_rank"]))
        dev = resolve_device(args.device)
        return DistInfo(info["launcher"], "none", info["rank"], info["world_size"], info["local_rank"], dev, None,
                        new_run_id() + f"-r{info['rank']}")
    if info is None:
        info = {"launcher": "none", "rank": 0, "world_size": 1, "local_rank": 0, "master_addr": "127.0.0.1",
                "master_port": _free_port()}
    os.environ.setdefault("LOCAL_RANK", str(info["local_rank"]))
    backend = args.backend if args.backend != "auto" else ("nccl" if torch.cuda.is_available()
                                                           and args.device != "cpu" else "gloo")
    dev = resolve_device("cuda" if backend == "nccl" else "cpu")
    if not info["master_addr"]:
        raise SystemExit(f"{info['launcher']}: set MASTER_ADDR (and MASTER_PORT) to the address of rank 0's host")
    for k, v in (("RANK", info["rank"]), ("WORLD_SIZE", info["world_size"]), ("LOCAL_RANK", info["local_rank"]),
                 ("MASTER_ADDR", info["master_addr"]), ("MASTER_PORT", info["master_port"])):
        os.environ.setdefault(k, str(v))  # torchrun's own values (and its agent store) win
    dist.init_process_group(backend, init_method="env://", device_id=dev if dev.type == "cuda" else None,
                            timeout=datetime.timedelta(seconds=args.timeout_s))
    group = DistGroup(dev)
    ids = [new_run_id() if info["rank"] == 0 else None]
    dist.broadcast_object_list(ids, src=0)
    return DistInfo(info["launcher"], backend, info["rank"], info["world_size"], info["local_rank"], dev, group,
                    ids[0])


def rank_map(info: DistInfo, dev: torch.device) -> list[dict]:
    """host, local rank and device of every rank (all ranks take part; rank 0 uses it)."""
    mine = {"rank": info.rank, "host": socket.gethostname(), "local_rank": info.local_rank, "device": str(dev),
            "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
            "pci_bus_id": getattr(torch.cuda.get_device_properties(dev), "pci_bus_id", None)
            if dev.type == "cuda" else None}
    if info.group is None:
        return [mine]
    out = [None] * info.world_size
    dist.all_gather_object(out, mine)
    return out
