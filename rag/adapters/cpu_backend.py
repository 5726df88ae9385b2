"""Which of llama.cpp's CPU backends the local LLM server loads.

llama-cpp-python is built with ``GGML_BACKEND_DL`` and ``GGML_CPU_ALL_VARIANTS``: the
always-loaded libraries (``libllama``, ``libggml``, ``libggml-base``) are plain x86-64,
and the matrix code comes as one ``libggml-cpu-<variant>.so`` per instruction set, from
``x64`` to ``zen4``. Each variant scores the CPU it runs on (0 when the CPU lacks one of
its instructions), and the server loads the best one before it loads the model, so one
wheel runs on any x86-64 and uses AVX-512 where the CPU has it.

llama-cpp-python never loads a backend itself (it has no binding for
``ggml_backend_load_all``), so `rag.adapters.llm_serve` calls `load_best` first.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

PREFIX = "libggml-cpu-"
# The AMX variant is never loaded: on CPUs that report AMX llama.cpp's AMX path
# segfaults in the first decode (seen with -march=native builds); the best AVX-512
# variant is the fastest that works there.
EXCLUDED = frozenset({"sapphirerapids"})


@dataclass(frozen=True)
class CpuBackend:
    """One CPU backend library and how well it fits this CPU (0: it cannot run here)."""

    name: str
    path: Path
    score: int


def library_dir() -> Path:
    """Where the wheel puts llama.cpp's libraries (``-DCMAKE_INSTALL_BINDIR`` in
    pyproject.toml puts the backend variants beside them)."""
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


def variant_name(path: Path) -> str:
    return path.name.removeprefix(PREFIX).split(".so")[0]


def variant_files(folder: Path) -> list[Path]:
    """Every CPU backend variant in ``folder`` (loadable modules carry no soname version)."""
    return sorted(folder.glob(f"{PREFIX}*.so"))


def score(path: Path) -> int:
    """The variant's own verdict on this CPU, from its ``ggml_backend_score``.

    Opening a variant runs none of its vector code: ggml's loader opens every
    variant the same way to ask it, then closes those it does not take.
    """
    library = ctypes.CDLL(str(path), mode=ctypes.RTLD_LOCAL)
    try:
        function = library.ggml_backend_score
        function.restype = ctypes.c_int
        return int(function())
    except AttributeError as exc:
        raise ConfigError(f"{path} is not a ggml backend (no ggml_backend_score)") from exc
    finally:
        _close(library)


def choose(candidates: list[CpuBackend]) -> CpuBackend:
    """The best-scoring variant that may be loaded; ties go to the first in the list."""
    usable = [c for c in candidates if c.score > 0 and c.name not in EXCLUDED]
    if not usable:
        names = ", ".join(f"{c.name}={c.score}" for c in candidates) or "none found"
        raise ConfigError(f"no llama.cpp CPU backend can run on this CPU ({names})")
    return max(usable, key=lambda c: c.score)


def load_best(folder: Path | None = None) -> CpuBackend:
    """Score the variants in ``folder``, load the best into ggml and return it."""
    folder = folder or library_dir()
    files = variant_files(folder)
    if not files:
        raise ConfigError(
            f"no {PREFIX}*.so in {folder}: llama-cpp-python was not built with "
            "GGML_BACKEND_DL (reinstall with `make setup`)"
        )
    best = choose([CpuBackend(variant_name(p), p, score(p)) for p in files])
    load = _linked_ggml(folder).ggml_backend_load
    load.restype, load.argtypes = ctypes.c_void_p, [ctypes.c_char_p]
    if not load(str(best.path).encode()):
        raise ConfigError(f"ggml could not load its CPU backend {best.path}")
    return best


def _linked_ggml(folder: Path) -> ctypes.CDLL:
    """The libggml that libllama uses: the file named by its soname (``libggml.so.0``).

    The wheel holds copies, not links (``libggml.so``, ``.so.0``, ``.so.0.x.y``), and each
    copy opened is a separate library with its own backend registry: a backend loaded
    into ``llama_cpp._ggml``'s ``libggml.so`` is one that libllama never sees.
    """
    sonames = [p for p in folder.glob("libggml.so.*") if p.name.count(".") == 2]
    if len(sonames) != 1:
        raise ConfigError(f"expected one libggml.so.<major> in {folder}, found {sonames}")
    return ctypes.CDLL(str(sonames[0]))


def _close(library: ctypes.CDLL) -> None:
    import _ctypes

    _ctypes.dlclose(library._handle)
