"""The installed llama.cpp build runs on any x86-64 and never takes the AMX path.

Read off the machine code of the libraries in the installed wheel (``objdump -d``) and off
the variant a real server process loads on this CPU.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from rag.adapters.cpu_backend import EXCLUDED, library_dir, variant_files, variant_name

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils' objdump"),
]

# llama.cpp's own table (ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS): the variants
# built without AVX512, which must run on CPUs that lack it.
WITHOUT_AVX512 = {"x64", "sse42", "sandybridge", "ivybridge", "piledriver", "haswell", "alderlake"}
BELOW_AVX2 = {"x64", "sse42", "sandybridge", "ivybridge", "piledriver"}
ZMM = re.compile(r"%zmm\d")
AMX = re.compile(r"\s(ldtilecfg|sttilecfg|tilezero|tilerelease|tileload\w*|tilestore\w*|tdp\w+)\s")


@cache
def instructions(library: Path) -> tuple[int, int]:
    """How many instructions of ``library`` use a zmm (AVX-512) register, and how many AMX."""
    listing = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(library)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return len(ZMM.findall(listing)), len(AMX.findall(listing))


def installed() -> tuple[list[Path], dict[str, Path]]:
    """The always-loaded libraries, and the CPU backend variants by name."""
    folder = library_dir()
    variants = {variant_name(p): p for p in variant_files(folder)}
    always = [p for p in folder.glob("*.so") if not p.is_symlink() and p not in variants.values()]
    return always, variants


def test_the_wheel_has_an_avx2_floor_and_avx512_variants_beside_plain_libraries() -> None:
    always, variants = installed()
    assert {p.name for p in always} >= {"libllama.so", "libggml.so", "libggml-base.so"}
    assert "libggml-cpu.so" not in {p.name for p in always}  # no CPU code linked in
    assert {"x64", "haswell", "skylakex", "icelake", "zen4"} <= variants.keys()


def test_the_always_loaded_libraries_use_no_avx512_and_no_amx() -> None:
    always, _ = installed()
    for library in always:
        assert instructions(library) == (0, 0), library.name


def test_avx512_only_in_avx512_variants_and_amx_only_in_excluded_ones() -> None:
    _, variants = installed()
    counts = {name: instructions(path) for name, path in variants.items()}
    # The probe can see both: the AVX-512 and AMX variants do contain them.
    assert counts["zen4"][0] > 0 and counts["sapphirerapids"][1] > 0
    for name, (zmm, amx) in counts.items():
        assert name not in WITHOUT_AVX512 or zmm == 0, (name, zmm)
        assert name in EXCLUDED or amx == 0, (name, amx)


def test_a_process_loads_one_variant_the_best_this_cpu_can_run() -> None:
    probe = (
        "import json; from rag.adapters.cpu_backend import load_best;"
        "from rag.adapters import procinfo;"
        "import os; b = load_best();"
        "maps = [p.name for p in procinfo.mapped_files(os.getpid()) if 'ggml-cpu-' in p.name];"
        "print(json.dumps({'name': b.name, 'score': b.score, 'mapped': maps}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    chosen = json.loads(out.splitlines()[-1])
    # The others were opened to be scored and closed again: one variant stays loaded.
    assert chosen["mapped"] == [f"libggml-cpu-{chosen['name']}.so"] and chosen["score"] > 0
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    flags = set(next(line for line in cpuinfo if line.startswith("flags")).split(":")[1].split())
    assert chosen["name"] not in EXCLUDED
    if "avx512f" in flags:  # AVX-512 is used where the CPU has it
        assert chosen["name"] not in WITHOUT_AVX512
    elif "avx2" in flags:
        assert chosen["name"] not in BELOW_AVX2
