"""Precision variants (config ``precisions: [bf16, int8]``): can this machine run them, and the model in each.

Names and validation of the config list are :mod:`common.variants`'s; this module knows the
hardware and torch:

- :func:`probe` reads what the machine offers (device type, the CPU's feature flags from
  ``/proc/cpuinfo``, torch's CPU capability and quantised engines, CUDA's bf16 support).  Tests
  fake it.
- :func:`check_precisions` refuses, before any work, a precision the machine cannot run, with one
  line that names the missing CPU feature or device:

  =========  ==========================================  ===========================================
  precision  CPU                                         CUDA
  =========  ==========================================  ===========================================
  ``bf16``   needs ``avx512_bf16`` or ``amx_bf16``       needs a GPU with bf16 (compute capability 8+)
  ``fp16``   refused (torch's CPU half kernels are       runs
             neither fast nor the GPU's arithmetic)
  ``int8``   needs AVX2 (fbgemm/x86 int8 kernels); uses  refused: torch has no CUDA kernels for
             VNNI (``avx512_vnni``) where present         dynamic quantisation
  =========  ==========================================  ===========================================

  Why refuse rather than fall back: a bf16 variant computed in fp32 would be stored as bf16
  numbers that are not; the one-line error says what the machine lacks.
- :func:`variant_model` builds the model of a precision from the loaded fp32 model (a copy: the
  fp32 model, the main cell's, is never touched); :func:`numerics` says how it computes, for the
  manifest.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError

BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
INT8_CPU_FLAG = "avx2"
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
TORCH_DTYPES = {"bf16": "bfloat16", "fp16": "float16"}  # int8 keeps float32 activations


@dataclass(frozen=True)
class Machine:
    """What a device offers for the precision variants."""

    device: str  # "cpu", "cuda", "cuda:1", "mps", …
    cpu_flags: frozenset[str] = field(default_factory=frozenset)
    cpu_capability: str = ""  # torch.backends.cpu.get_cpu_capability(): "AVX512", "AVX2", …
    quantized_engines: tuple[str, ...] = ()
    cuda_bf16: bool = False

    @property
    def kind(self) -> str:
        return self.device.split(":", 1)[0]


@functools.cache
def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where the file does not exist."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def probe(device: str) -> Machine:
    """What ``device`` offers: the CPU's flags and torch's engines, or CUDA's bf16 support."""
    import torch

    kind = device.split(":", 1)[0]
    return Machine(
        device=device,
        cpu_flags=cpu_flags(),
        cpu_capability=str(torch.backends.cpu.get_cpu_capability()),
        quantized_engines=tuple(torch.backends.quantized.supported_engines),
        cuda_bf16=bool(kind == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()),
    )


def refusal(precision: str, machine: Machine) -> str | None:
    """Why ``machine`` cannot run ``precision`` (the missing feature or device), or None when it can."""
    kind = machine.kind
    if kind not in {"cpu", "cuda"}:
        return f"{precision} variants run on cpu or cuda, not on {machine.device}"
    if precision == "int8":
        if kind == "cuda":
            return (
                f"int8 (torch dynamic quantisation) runs on CPU only: torch has no CUDA kernels for it (device {machine.device}); "
                "set LEADERBOARD_DEVICE=cpu or drop int8"
            )
        if INT8_CPU_FLAG not in machine.cpu_flags or not {"x86", "fbgemm"} & set(machine.quantized_engines):
            return "int8 needs a CPU with AVX2 (torch's x86/fbgemm int8 kernels); this CPU lacks avx2"
        return None
    if precision == "bf16":
        if kind == "cuda":
            return (
                None
                if machine.cuda_bf16
                else f"bf16 needs a GPU with bfloat16 support (compute capability 8.0 or newer); {machine.device} has none"
            )
        if not set(BF16_CPU_FLAGS) & machine.cpu_flags:
            return "bf16 on CPU needs AVX512-BF16 or AMX; this CPU lacks avx512_bf16 and amx_bf16 (/proc/cpuinfo flags)"
        return None
    if precision == "fp16":
        return (
            None
            if kind == "cuda"
            else "fp16 runs on CUDA only (torch's CPU float16 kernels are neither fast nor the GPU's arithmetic); no CUDA device here"
        )
    return f"unknown precision {precision!r}"


def check_precisions(model: str, precisions: list[str] | None, device: str, machine: Machine | None = None) -> None:
    """Refuse, in one line, the first precision of ``precisions`` the device cannot run."""
    if not precisions:
        return
    machine = machine or probe(device)
    for precision in precisions:
        why = refusal(precision, machine)
        if why is not None:
            raise UserError(f"model {model}: precisions: cannot run {precision} here: {why}")


def numerics(precision: str, machine: Machine) -> dict[str, Any]:
    """How a precision computes, for the manifest: dtype of the weights and activations, the kernels it can use."""
    import torch

    described: dict[str, Any] = {"precision": precision, "device": machine.device}
    if precision == "int8":
        described |= {
            "dtype": "int8",
            "weights": "qint8 per-tensor (torch.ao.quantization.quantize_dynamic, Linear layers only)",
            "activations": "float32, quantised to uint8 per batch inside each Linear",
            "quantized_engine": torch.backends.quantized.engine,
            "vnni": sorted(set(VNNI_FLAGS) & machine.cpu_flags),
        }
    else:
        described |= {"dtype": TORCH_DTYPES[precision], "weights": TORCH_DTYPES[precision], "activations": TORCH_DTYPES[precision]}
        if machine.kind == "cpu":
            described["cpu_bf16"] = sorted(set(BF16_CPU_FLAGS) & machine.cpu_flags)
    described |= {
        "pooling": "float32 (pooling, dense head and normalisation)",
        "cpu_capability": machine.cpu_capability,
        "embedding_dtype": "float32",
    }
    return described


def variant_model(model: Any, precision: str) -> Any:
    """The model of ``precision``, built from a copy of the loaded fp32 ``model`` (which stays as it is)."""
    import warnings

    import torch

    if precision == "int8":
        from torch.ao.quantization import quantize_dynamic

        # a deep copy with every nn.Linear replaced by its dynamically quantised int8 version; torch warns that
        # torch.ao.quantization will move to torchao one day, which says nothing about this run (quiet logs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=r".*quantize_per_tensor.*deprecated", category=UserWarning)
            return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=False).eval()
    dtype = getattr(torch, TORCH_DTYPES[precision])
    return copy.deepcopy(model).to(dtype).eval()
