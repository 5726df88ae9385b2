"""The generators by name: settings, the API schema, the CLI and evals take their choices
from ``rag.settings.GeneratorName``, and every name there has its factory here (checked
at import, so a name cannot be added without its generator, nor the reverse).

Adding a generator: a class with the ``rag.generation.base.Generator`` methods, its name
in ``GeneratorName``, its factory below. An LLM behind an OpenAI-compatible server needs
none of this: `openai` with ``RAG_LLM_BASE_URL`` reads with the same verified reader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import get_args

from ..settings import GeneratorName, Settings
from .base import Generator
from .extractive import ExtractiveGenerator
from .llm import ReaderGenerator

# (its name, the settings, the semaphore bounding LLM calls in flight) → the generator
GeneratorFactory = Callable[[GeneratorName, Settings, threading.BoundedSemaphore], Generator]


def _reader(
    name: GeneratorName, settings: Settings, slots: threading.BoundedSemaphore
) -> Generator:
    return ReaderGenerator(settings.model_copy(update={"llm": name}), slots)


def _extractive(
    _name: GeneratorName, _s: Settings, _slots: threading.BoundedSemaphore
) -> Generator:
    return ExtractiveGenerator()


GENERATORS: dict[GeneratorName, GeneratorFactory] = {
    "local": _reader,
    "openai": _reader,
    "extractive": _extractive,
}
if set(GENERATORS) != set(get_args(GeneratorName)):
    raise RuntimeError("rag.generation.registry.GENERATORS must cover GeneratorName exactly")
# The generator that answers when an LLM generator cannot (no LLM of its own to fail).
FALLBACK: GeneratorName = "extractive"


def build_generators(settings: Settings) -> dict[GeneratorName, Generator]:
    """One generator per registered name, sharing one bound on LLM calls in flight."""
    slots = threading.BoundedSemaphore(settings.llm_concurrency)
    return {name: factory(name, settings, slots) for name, factory in GENERATORS.items()}
