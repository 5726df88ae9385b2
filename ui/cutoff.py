"""OpenAI's `max_tokens` and `stop`, applied to the text a completion delivers.

The reader's own generation is JSON under a grammar, so a caller's limit cannot be handed
to the LLM (a cut JSON reply is no answer at all). It is applied to the verified answer
instead, as a server applies it to what it generates: the text ends before the first stop
sequence (`finish_reason` "stop"), or after `max_tokens` tokens (`finish_reason`
"length"). What is delivered is a prefix of verified text, never anything else.

Streamed text arrives in pieces, so the tail of a piece that could be the start of a stop
sequence is held back until the next piece (or the end) shows whether it is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rag.adapters.tokens import encode, token_encoding

FinishReason = Literal["stop", "length"]


class Cutoff:
    """Feeds pieces of an answer through the caller's limits; `finish_reason` at the end."""

    def __init__(self, max_tokens: int | None, stop: Sequence[str] | None) -> None:
        self._max_tokens = max_tokens
        self._stop = [s for s in stop or () if s]
        self._text = ""  # everything fed so far
        self._sent = 0  # characters of it already released
        self.cut = False  # the limits ended the text; later pieces are dropped
        self.finish_reason: FinishReason = "stop"

    def feed(self, piece: str) -> str:
        """The part of ``piece`` (with any held-back text before it) that may go out now."""
        if self.cut:
            return ""
        self._text += piece
        limit = self._limit()
        if limit is None:
            return self._release(len(self._text) - self._held_back())
        end, self.finish_reason = limit
        self.cut = True
        return self._release(end)

    def finish(self) -> str:
        """Whatever was held back, once no more text will come."""
        return "" if self.cut else self._release(len(self._text))

    def apply(self, text: str) -> str:
        """The whole text through the limits at once (a completion that is not streamed)."""
        return self.feed(text) + self.finish()

    def _limit(self) -> tuple[int, FinishReason] | None:
        """Where the limits end the text fed so far, and why; None while they do not."""
        found = [i for i in (self._text.find(s) for s in self._stop) if i >= 0]
        end = min(found, default=len(self._text))
        if self._max_tokens is not None:
            tokens = encode(self._text[:end])
            if len(tokens) > self._max_tokens:
                # A token may end inside a multi-byte character: that part is dropped.
                kept = token_encoding().decode_bytes(tokens[: self._max_tokens])
                return len(kept.decode("utf-8", errors="ignore")), "length"
        return (end, "stop") if found else None

    def _held_back(self) -> int:
        """Characters at the end that begin some stop sequence."""
        tail = 0
        for stop in self._stop:
            for size in range(min(len(stop) - 1, len(self._text)), tail, -1):
                if self._text.endswith(stop[:size]):
                    tail = size
                    break
        return tail

    def _release(self, end: int) -> str:
        end = max(end, self._sent)
        out, self._sent = self._text[self._sent : end], end
        return out
