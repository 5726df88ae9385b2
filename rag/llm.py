"""The one LLM client: any server that speaks OpenAI's API (OpenAI, vLLM, Ollama, llama.cpp).

``completions`` mode sends a prompt's plain text to ``/v1/completions`` (base models such
as the local Gemma, which has no chat template); ``chat`` mode sends its messages to
``/v1/chat/completions``. Every failure of the server or the wire becomes one
`LLMUnavailableError` with a one-line reason, so callers can fall back to extraction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from .errors import LLMUnavailableError
from .prompts import LLMMode, Prompt
from .settings import Settings

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

# A dead or unroutable host should fail in seconds, whatever the read timeout is.
_CONNECT_TIMEOUT_S = 5.0
_HEALTH_TIMEOUT_S = 3.0


class LLMClient:
    """Deterministic (temperature 0) text generation from one model on one server."""

    def __init__(
        self,
        base_url: str | None,
        model: str,
        *,
        api_key: str = "unused",
        mode: LLMMode = "completions",
        timeout_s: float = 30.0,
        retries: int = 1,
        max_tokens: int = 48,
        temperature: float = 0.0,
    ) -> None:
        from openai import OpenAI, Timeout  # the adapter owns the SDK import

        # base_url None means OpenAI itself (or OPENAI_BASE_URL), as in the SDK.
        self._client: OpenAI = OpenAI(
            base_url=base_url,
            api_key=api_key,
            timeout=Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S)),
            max_retries=retries,
        )
        self.model = model
        self.mode: LLMMode = mode
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._where = f"LLM server at {self._client.base_url}"
        self._tokens = 0
        self._tokens_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient:
        """The client for ``settings``; `local` without a URL starts the managed server."""
        base_url = settings.llm_base_url
        if base_url is None and settings.llm == "local":
            from .llm_server import ensure_server

            base_url = ensure_server(settings)
        return cls(
            base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            mode=settings.llm_mode,
            timeout_s=settings.timeout_s,
            retries=settings.llm_retries,
            max_tokens=settings.llm_max_tokens,
        )

    def complete(
        self, prompt: Prompt, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> str:
        """The whole generated text; raises `LLMUnavailableError` if it is empty."""
        with self._translated():
            response = self._create(prompt, max_tokens, stop, stream=False)
        self._count_tokens(response)
        text = ""
        if response.choices:
            choice = response.choices[0]
            text = choice.text if self.mode == "completions" else choice.message.content
        if not (text or "").strip():
            raise LLMUnavailableError(f"{self._where} returned empty output")
        return str(text)

    def stream(
        self, prompt: Prompt, max_tokens: int | None = None, stop: list[str] | None = None
    ) -> Iterator[str]:
        """Text deltas as the server produces them; their concatenation is `complete`'s text."""
        produced = False
        with self._translated():
            for chunk in self._create(prompt, max_tokens, stop, stream=True):
                delta = self._delta(chunk)
                if delta:
                    produced = produced or bool(delta.strip())
                    yield delta
        if not produced:
            raise LLMUnavailableError(f"{self._where} returned empty output")

    def health(self) -> bool:
        """True when the server answers ``/v1/models``."""
        try:
            with self._translated():
                self._client.with_options(timeout=_HEALTH_TIMEOUT_S, max_retries=0).models.list()
        except LLMUnavailableError:
            return False
        return True

    @property
    def tokens_generated(self) -> int:
        """Completion tokens `complete` received so far, as the server's usage reports them."""
        return self._tokens

    def _count_tokens(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is not None and usage.completion_tokens:
            with self._tokens_lock:
                self._tokens += int(usage.completion_tokens)

    def close(self) -> None:
        self._client.close()

    def _create(
        self, prompt: Prompt, max_tokens: int | None, stop: list[str] | None, stream: bool
    ) -> Any:
        options: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": self.temperature,
            "stream": stream,
        }
        if self.mode == "completions":
            stop = stop if stop is not None else list(prompt.text_stop)
        if stop:
            options["stop"] = stop
        if self.mode == "completions":
            return self._client.completions.create(prompt=prompt.text, **options)
        messages = [
            cast("ChatCompletionMessageParam", {"role": m.role, "content": m.content})
            for m in prompt.messages
        ]
        return self._client.chat.completions.create(messages=messages, **options)

    def _delta(self, chunk: Any) -> str:
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        text = choice.text if self.mode == "completions" else choice.delta.content
        return str(text or "")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn the SDK's and the wire's failures into one-line `LLMUnavailableError`s."""
        import httpx
        import openai

        try:
            yield
        except openai.APITimeoutError as exc:
            raise LLMUnavailableError(f"{self._where} timed out") from exc
        except openai.APIConnectionError as exc:
            reason = _one_line(exc.__cause__ or exc)
            raise LLMUnavailableError(f"cannot reach the {self._where}: {reason}") from exc
        except openai.APIStatusError as exc:
            reason = f"HTTP {exc.status_code}: {_one_line(exc.message)}"
            raise LLMUnavailableError(f"{self._where} answered {reason}") from exc
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            # e.g. a stream cut mid-way, or a reply that is not the API's JSON
            raise LLMUnavailableError(f"{self._where} failed: {_one_line(exc)}") from exc


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
