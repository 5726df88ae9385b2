"""Cited question answering over news articles: the core package.

Importing it first makes every process offline-safe: the variables below must be set
before huggingface, gradio, chromadb or tiktoken are imported, or they phone home.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def _tiktoken_cache() -> str | None:
    # llama-index ships tiktoken's BPE files; pointing tiktoken there avoids a download.
    spec = find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache")


_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
}

for _key, _value in _OFFLINE_ENV.items():
    os.environ.setdefault(_key, _value)
if (_cache := _tiktoken_cache()) is not None:
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", _cache)
