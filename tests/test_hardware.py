"""hardware: CPU flags from /proc/cpuinfo, the precision ``auto`` picks, provenance, and the trainer using it."""

from __future__ import annotations

import json

import keras
import pytest

from tests.conftest import tiny_config
from tfgan_apps import hardware, trainer
from tfgan_apps.errors import ConfigError
from tfgan_apps.validation import validate

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9454 48-Core Processor
flags\t\t: fpu sse2 fma avx2 avx512f avx512_vnni avx512_bf16 avx512bw
"""
SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C
flags\t\t: fpu fma avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
"""
ZEN2 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B12
flags\t\t: fpu fma avx2 sse4_2
"""
GRAVITON3 = """processor\t: 0
BogoMIPS\t: 2100.00
Features\t: fp asimd sve bf16 i8mm
CPU implementer\t: 0x41
"""


def info_from(text: str) -> hardware.CpuInfo:
    model, vendor, flags = hardware._parse_proc_cpuinfo(text)
    return hardware.CpuInfo(model=model, vendor=vendor, cores=2, flags=flags, source="test")


@pytest.mark.parametrize("text, model, native, precision", [
    (ZEN4, "AMD EPYC 9454 48-Core Processor", True, "mixed_bfloat16"),
    (SAPPHIRE_RAPIDS, "Intel(R) Xeon(R) Platinum 8481C", True, "mixed_bfloat16"),
    (ZEN2, "AMD EPYC 7B12", False, "float32"),
    (GRAVITON3, "", False, "float32"),  # Arm BF16 is reported but not counted (unmeasured here)
])
def test_auto_precision_follows_the_bf16_flags(text, model, native, precision):
    info = info_from(text)
    assert info.model == model and info.native_bf16 is native
    assert hardware.resolve_precision("auto", info) == precision
    for explicit in ("float32", "mixed_float16", "mixed_bfloat16"):
        assert hardware.resolve_precision(explicit, info) == explicit  # only "auto" depends on the CPU


def test_features_and_provenance_dict():
    spr = info_from(SAPPHIRE_RAPIDS)
    assert spr.features()["amx_bf16"] and spr.features()["amx_tile"] and spr.features()["avx512f"]
    assert not info_from(ZEN4).features()["amx_tile"] and info_from(ZEN4).features()["avx512_bf16"]
    assert info_from(GRAVITON3).features()["bf16"]
    assert not any(info_from(ZEN2).features()[f] for f in ("avx512f", "avx512_bf16", "amx_bf16"))
    described = hardware.describe(spr)
    json.dumps(described)  # JSON-ready for run provenance
    assert described["native_bf16"] and described["auto_precision"] == "mixed_bfloat16"
    assert described["model"] == "Intel(R) Xeon(R) Platinum 8481C" and described["tensorflow"]
    assert "avx512_bf16" in spr.summary() and "native bf16: yes" in spr.summary()


def test_flags_env_overrides_detection_and_fallback_names_a_model(monkeypatch):
    monkeypatch.setenv(hardware.FLAGS_ENV, "avx2 FMA")
    hardware.cpu_info.cache_clear()
    try:
        info = hardware.cpu_info()
        assert info.flags == {"avx2", "fma"} and info.source == hardware.FLAGS_ENV and info.model
        assert hardware.resolve_precision("auto") == "float32"
        monkeypatch.setenv(hardware.FLAGS_ENV, "avx512_bf16")
        hardware.cpu_info.cache_clear()
        assert hardware.resolve_precision("auto") == "mixed_bfloat16"
    finally:
        hardware.cpu_info.cache_clear()


def test_auto_is_a_valid_setting_and_sets_the_policy_the_cpu_supports(monkeypatch):
    config = tiny_config(train__mixed_precision="auto")
    validate(config)
    for flags, policy in (("avx2 fma", "float32"), ("avx512f amx_tile amx_bf16", "mixed_bfloat16")):
        monkeypatch.setenv(hardware.FLAGS_ENV, flags)
        hardware.cpu_info.cache_clear()
        try:
            trainer.prepare_runtime(config)
            assert keras.mixed_precision.dtype_policy().name == policy
        finally:
            keras.mixed_precision.set_global_policy("float32")
            hardware.cpu_info.cache_clear()
    config.train.mixed_precision = "bfloat16"
    with pytest.raises(ConfigError, match="auto"):
        validate(config)
