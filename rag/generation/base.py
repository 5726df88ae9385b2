"""The Generator interface: what every way of making an answer provides the pipeline.

A generator turns one turn's evidence into a grounded answer, or a refusal with its
reason. ``draft`` is a generator function: it yields what may be shown before the answer
is complete (the sources being read, verified text) and returns the `Draft`. It raises
`LLMUnavailableError` when it cannot answer at all (server down, timeout, a reply out of
format); the pipeline then answers with its fallback, with a notice. Conflicts, the
final numbering and the response record are the pipeline's, the same for every generator.
"""

from __future__ import annotations

from collections.abc import Generator as Steps
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..grounding.citations import Grounded
from ..types import CallerOptions, StreamEvent

if TYPE_CHECKING:
    from ..turn import Evidence


@dataclass(frozen=True, slots=True)
class Draft:
    """A generator's verified answer, or None and why there is none."""

    grounded: Grounded | None
    reason: str | None


Drafting = Steps[StreamEvent, None, Draft]


class Generator(Protocol):
    """One way of making an answer (registered by name in ``rag.generation.registry``)."""

    @property
    def tokens_generated(self) -> int:
        """Tokens an LLM generated for this generator so far (0 without an LLM)."""
        ...

    def draft(self, evidence: Evidence, options: CallerOptions) -> Drafting:
        """Yield what can be shown early; return the verified answer or a refusal."""
        ...

    def healthy(self) -> bool:
        """Whether it can answer now (its LLM server answers, if it has one)."""
        ...

    def close(self) -> None:
        """Release clients; the generator may be used again and reopens them."""
        ...
