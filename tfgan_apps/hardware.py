"""What CPU runs this process, and the settings that follow from it.

Used for three things: ``train.mixed_precision="auto"`` (``resolve_precision``:
``mixed_bfloat16`` where the CPU has native bf16 arithmetic, ``float32``
elsewhere), the key of the ``train.jit_compile="auto"`` decision cache
(``models.probe_jit_compile``: a decision measured on one CPU is not reused on
another), and the provenance lines of the benchmarks (``describe``).

Native bf16 means AMX tiles with bf16 (``amx_bf16``, Intel Sapphire Rapids and
later) or AVX-512 BF16 (``avx512_bf16``: Intel Cooper Lake / Sapphire Rapids, AMD
Zen 4 and later). oneDNN runs Keras' ``mixed_bfloat16`` convolutions and matmuls
in bf16 there; on CPUs without it bf16 is emulated and slower than fp32
(``benchmarks/results/train_speed.md``). Arm's BF16 extension is reported
(``bf16``) but not counted: nothing here has measured TensorFlow's bf16 kernels on
Arm, so ``auto`` stays at ``float32`` there. Decisions come from the flags, never from
the CPU's model name.

The flags are read from ``/proc/cpuinfo`` (Linux); elsewhere from ``py-cpuinfo``
when it is installed, or ``sysctl`` on macOS; when none answers the feature set is
empty (so ``auto`` picks ``float32``, the safe choice). ``TFGAN_CPU_FLAGS`` (a
space-separated flag list) replaces the detected flags, for testing a choice on
other hardware.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import platform
import subprocess
from typing import Any

# The flags that matter for speed, under their /proc/cpuinfo names.
FEATURES = ("fma", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8", "bf16")
# Any one of these means the CPU multiplies bf16 natively (x86; see the module docstring for Arm).
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
AUTO_PRECISIONS = {True: "mixed_bfloat16", False: "float32"}
FLAGS_ENV = "TFGAN_CPU_FLAGS"


@dataclasses.dataclass(frozen=True)
class CpuInfo:
    """The CPU's model name, vendor, logical core count and instruction-set flags (lower case)."""

    model: str
    vendor: str
    cores: int
    flags: frozenset[str]
    source: str  # where the flags came from: /proc/cpuinfo, py-cpuinfo, sysctl, TFGAN_CPU_FLAGS or none

    def has(self, flag: str) -> bool:
        """Whether the CPU reports ``flag`` (a /proc/cpuinfo name such as ``avx512_bf16``)."""
        return flag in self.flags

    @property
    def native_bf16(self) -> bool:
        """True when bf16 arithmetic runs in hardware (AMX-BF16 or AVX-512 BF16)."""
        return any(f in self.flags for f in NATIVE_BF16_FLAGS)

    def features(self) -> dict[str, bool]:
        """The speed-relevant flags as name → present."""
        return {name: name in self.flags for name in FEATURES}

    def summary(self) -> str:
        """One line: model, cores and the speed-relevant features present, e.g. for a benchmark header."""
        present = [name for name, on in self.features().items() if on] or ["none of " + "/".join(FEATURES)]
        return (f"{self.model}, {self.cores} cores; features: {' '.join(present)}; "
                f"native bf16: {'yes' if self.native_bf16 else 'no'} (flags from {self.source})")


def _parse_proc_cpuinfo(text: str) -> tuple[str, str, frozenset[str]]:
    """(model name, vendor, flags) of the first processor block of a /proc/cpuinfo text (x86 or Arm)."""
    model = vendor = ""
    flags: frozenset[str] = frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key in ("model name", "cpu model") and not model:
            model = value
        elif key in ("vendor_id", "cpu implementer") and not vendor:
            vendor = value
        elif key in ("flags", "features") and not flags:
            flags = frozenset(value.lower().split())
    return model, vendor, flags


def _from_py_cpuinfo() -> tuple[str, str, frozenset[str]] | None:
    try:
        import cpuinfo  # py-cpuinfo, optional
    except ImportError:
        return None
    info = cpuinfo.get_cpu_info()
    return info.get("brand_raw", ""), info.get("vendor_id_raw", ""), frozenset(f.lower() for f in info.get("flags", []))


def _from_sysctl() -> tuple[str, str, frozenset[str]] | None:
    """macOS: the brand string and the feature lists of ``sysctl machdep.cpu`` / ``hw.optional``."""
    try:
        out = subprocess.run(["sysctl", "-a"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    model, flags = "", set()
    for line in out.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "machdep.cpu.brand_string":
            model = value
        elif key in ("machdep.cpu.features", "machdep.cpu.leaf7_features"):
            flags.update(f.lower().replace(".", "_") for f in value.split())
        elif key.startswith("hw.optional.arm.feat_") and value == "1":
            flags.add(key.rsplit("feat_", 1)[1].lower())
    if not model and not flags:
        return None
    flags = {"avx512_bf16" if f == "avx512bf16" else f for f in flags}
    return model, "", frozenset(flags)


@functools.cache
def cpu_info() -> CpuInfo:
    """The CPU of this machine (read once per process; see the module docstring for the sources)."""
    found, source = None, "none"
    try:
        with open("/proc/cpuinfo") as f:
            found, source = _parse_proc_cpuinfo(f.read()), "/proc/cpuinfo"
    except OSError:
        pass
    if found is None or not found[2]:
        readers = [(_from_py_cpuinfo, "py-cpuinfo")] + ([(_from_sysctl, "sysctl")] if platform.system() == "Darwin"
                                                         else [])
        for reader, name in readers:
            other = reader()
            if other is not None:
                found, source = other, name
                break
    model, vendor, flags = found or ("", "", frozenset())
    override = os.environ.get(FLAGS_ENV)
    if override is not None:
        flags, source = frozenset(override.lower().split()), FLAGS_ENV
    return CpuInfo(model=model or platform.processor() or platform.machine() or "unknown CPU", vendor=vendor,
                   cores=os.cpu_count() or 1, flags=flags, source=source)


def resolve_precision(value: str, info: CpuInfo | None = None) -> str:
    """``train.mixed_precision`` as a Keras dtype-policy name: ``"auto"`` becomes ``mixed_bfloat16`` on a CPU
    with native bf16 and ``float32`` elsewhere; any other value is returned unchanged."""
    if value != "auto":
        return value
    return AUTO_PRECISIONS[(info or cpu_info()).native_bf16]


def describe(info: CpuInfo | None = None) -> dict[str, Any]:
    """The CPU and the software that decide training speed, as a JSON-ready dict (for run provenance and
    benchmark headers): model, vendor, cores, flag source, each speed-relevant feature, native bf16, the
    precision ``auto`` picks, TensorFlow / Keras versions and ``TF_ENABLE_ONEDNN_OPTS``."""
    info = info or cpu_info()
    out: dict[str, Any] = {"model": info.model, "vendor": info.vendor, "cores": info.cores,
                           "flags_source": info.source, **info.features(), "native_bf16": info.native_bf16,
                           "auto_precision": resolve_precision("auto", info),
                           "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "")}
    try:
        import keras
        import tensorflow as tf

        out.update(tensorflow=tf.__version__, keras=keras.__version__)
    except ImportError:  # pragma: no cover - the package requires both
        pass
    return out

