"""What a record needs to be citable: software and hardware versions, environment, and NVML telemetry.

``static_provenance`` is gathered once per process; ``telemetry`` is sampled after each measurement (NVML through
``pynvml`` when it is installed and a driver answers, else ``None`` with the reason in ``telemetry_source``).
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

import torch

__all__ = ["static_provenance", "telemetry", "ENV_PREFIXES"]

ENV_PREFIXES = ("NCCL_", "CUDA_", "TORCH_", "PYTORCH_", "OMP_", "MKL_", "SLURM_JOB_", "CUBLAS_", "NVIDIA_TF32")
_REPO = Path(__file__).resolve().parent.parent


def _git() -> dict:
    def run(*args):
        try:
            out = subprocess.run(["git", "-C", str(_REPO), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None
    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--", "bench", "cookbook")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cuda_devices() -> list[dict]:
    if not torch.cuda.is_available():
        return []
    out = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        out.append({"index": i, "name": p.name, "total_memory_bytes": int(p.total_memory),
                    "multi_processor_count": int(p.multi_processor_count),
                    "compute_capability": f"{p.major}.{p.minor}",
                    "l2_cache_bytes": int(getattr(p, "L2_cache_size", 0)) or None,
                    "uuid": str(getattr(p, "uuid", "")) or None})
    return out


def _nccl_version():
    try:
        v = torch.cuda.nccl.version()
    except Exception:  # torch without NCCL (CPU builds) raises from the C extension
        return None
    return ".".join(map(str, v)) if isinstance(v, tuple) else str(v)


def _nvml():
    try:
        import pynvml
        pynvml.nvmlInit()
    except Exception as e:  # ImportError, or NVMLError when no driver is loaded
        return None, f"unavailable: {type(e).__name__}"
    return pynvml, "pynvml"


def _driver() -> str | None:
    nv, _ = _nvml()
    if nv is None:
        if not torch.cuda.is_available():
            return None
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    v = nv.nvmlSystemGetDriverVersion()
    return v.decode() if isinstance(v, bytes) else v


def static_provenance(argv: list[str], device: str) -> dict:
    """Everything about this process that does not change during a run."""
    return {
        "argv": list(argv),
        "git": _git(),
        "host": {"hostname": socket.gethostname(), "platform": platform.platform(), "cpu": _cpu_model(),
                 "cpu_count": os.cpu_count(), "python": sys.version.split()[0]},
        "device": device,
        "devices": _cuda_devices(),
        "device_count": torch.cuda.device_count() if torch.cuda.is_available() else 0,
        "software": {"torch": torch.__version__, "cuda_runtime": torch.version.cuda,
                     "hip": getattr(torch.version, "hip", None), "cudnn": torch.backends.cudnn.version()
                     if torch.backends.cudnn.is_available() else None, "nccl": _nccl_version(),
                     "driver": _driver(), "torch_num_threads": torch.get_num_threads(),
                     "allow_tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                     "float32_matmul_precision": torch.get_float32_matmul_precision()},
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIXES)},
    }


def _smi(device_index: int) -> dict | None:
    """The same probes through ``nvidia-smi --query-gpu`` (when pynvml is not installed)."""
    q = "clocks.sm,clocks.mem,power.draw,power.limit,temperature.gpu,clocks_throttle_reasons.active"
    try:
        out = subprocess.run(["nvidia-smi", f"--id={device_index}", f"--query-gpu={q}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    keys = ("sm_clock_mhz", "mem_clock_mhz", "power_w", "power_limit_w", "temperature_c", "throttle_reasons")

    def num(v):
        v = v.strip()
        try:
            return int(v, 16) if v.startswith("0x") else float(v)
        except ValueError:
            return None
    return dict(zip(keys, (num(v) for v in out.stdout.strip().splitlines()[0].split(","))))


def _nvml_handle(nv, device_index: int):
    """NVML's handle for torch's device ``device_index`` (matched by UUID: CUDA_VISIBLE_DEVICES may reorder)."""
    try:
        uuid = str(torch.cuda.get_device_properties(device_index).uuid)
        return nv.nvmlDeviceGetHandleByUUID(("GPU-" + uuid) if not uuid.startswith("GPU-") else uuid)
    except Exception:  # older torch without .uuid, or a MIG/UUID format NVML does not take
        return nv.nvmlDeviceGetHandleByIndex(device_index)


def telemetry(device_index: int | None) -> dict:
    """Clocks (MHz), power (W), temperature (C) and throttle reasons of one GPU now: NVML through pynvml, else
    nvidia-smi; ``values`` None with the reason in ``source`` when neither answers or the run is on a CPU."""
    if device_index is None:
        return {"source": "not a GPU run", "values": None}
    nv, source = _nvml()
    if nv is None:
        vals = _smi(device_index)
        return {"source": "nvidia-smi" if vals else f"NVML {source}; nvidia-smi unavailable", "values": vals}
    h = _nvml_handle(nv, device_index)
    vals = {}
    probes = {"sm_clock_mhz": lambda: nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM),
              "mem_clock_mhz": lambda: nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_MEM),
              "power_w": lambda: nv.nvmlDeviceGetPowerUsage(h) / 1000.0,
              "power_limit_w": lambda: nv.nvmlDeviceGetEnforcedPowerLimit(h) / 1000.0,
              "temperature_c": lambda: nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU),
              "throttle_reasons": lambda: int(nv.nvmlDeviceGetCurrentClocksThrottleReasons(h))}
    for k, f in probes.items():
        try:
            vals[k] = f()
        except Exception:  # a probe this GPU/driver does not support
            vals[k] = None
    return {"source": source, "values": vals}
