"""The one LLM client: any server that speaks OpenAI's API (OpenAI, vLLM, Ollama, llama.cpp).

``completions`` mode sends a prompt's plain text to ``/v1/completions`` (base models such
as the local Gemma, which has no chat template); ``chat`` mode sends its messages to
``/v1/chat/completions``. Every failure of the server or the wire becomes one
`LLMUnavailableError` with a one-line reason, so callers can fall back to extraction.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from .errors import LLMUnavailableError
from .prompts import LLMMode, Prompt
from .settings import Settings

if TYPE_CHECKING:
    import httpx
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
        # Credentials (the key, a password in the URL) must not reach a log line or an
        # API client through an error message, even when the server echoes them back.
        url = self._client.base_url
        self._where = f"LLM server at {url.copy_with(userinfo=b'')}"
        self._secrets = _secret_forms(api_key, url)
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
        if isinstance(response, str):  # the SDK hands back the text of a non-JSON reply
            raise LLMUnavailableError(f"{self._where} answered in a format other than JSON")
        self._count_tokens(response)
        text = ""
        if getattr(response, "choices", None):
            text = self._text(response.choices[0], "message")
        if not text.strip():
            raise LLMUnavailableError(f"{self._where} returned empty output")
        return text

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
        client = self._client.with_options(timeout=_HEALTH_TIMEOUT_S, max_retries=0)
        try:
            with self._translated():
                # Raw, then read here: the SDK's own parsing of a garbage 200 raises anything.
                body = client.models.with_raw_response.list().http_response.json()
        except LLMUnavailableError:
            return False
        return isinstance(body, dict) and isinstance(body.get("data"), list)

    @property
    def tokens_generated(self) -> int:
        """Completion tokens `complete` received so far, as the server's usage reports them."""
        return self._tokens

    def _count_tokens(self, response: Any) -> None:
        tokens = getattr(getattr(response, "usage", None), "completion_tokens", None)
        if isinstance(tokens, int) and tokens > 0:
            with self._tokens_lock:
                self._tokens += tokens

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
        if not getattr(chunk, "choices", None):
            return ""
        return self._text(chunk.choices[0], "delta")

    def _text(self, choice: Any, part: str) -> str:
        """A choice's text; a reply of the wrong shape (the SDK does not validate) has none."""
        if self.mode == "completions":
            text = getattr(choice, "text", None)
        else:
            text = getattr(getattr(choice, part, None), "content", None)
        return text if isinstance(text, str) else ""

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
            reason = self._reason(exc.__cause__ or exc)
            raise LLMUnavailableError(f"cannot reach the {self._where}: {reason}") from exc
        except openai.APIStatusError as exc:
            # A 401/403 body is the likeliest to quote the credentials it rejected.
            refused = exc.status_code in (401, 403)
            said = "it refused the credentials" if refused else self._reason(exc.message)
            reason = f"HTTP {exc.status_code}: {said}"
            raise LLMUnavailableError(f"{self._where} answered {reason}") from exc
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
            # e.g. a stream cut mid-way, or a reply that is not the API's JSON (ValueError)
            raise LLMUnavailableError(f"{self._where} failed: {self._reason(exc)}") from exc

    def _reason(self, value: object) -> str:
        """``value`` as one line, credentials masked (before cutting: a cut secret would
        no longer match)."""
        text = str(value)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _one_line(text if text.strip() else value)


def _secret_forms(api_key: str, url: httpx.URL) -> tuple[str, ...]:
    """The key and the URL's password as a server might echo them: plain, URL-encoded,
    or base64 in the Basic credentials that httpx sends for a password in the URL."""
    forms = [api_key] if api_key not in ("", "unused") else []
    if url.password:
        userinfo = url.userinfo.decode("ascii")
        basic = f"{url.username}:{url.password}".encode()
        forms += [url.password, userinfo, base64.b64encode(basic).decode("ascii")]
    # Longest first: a form inside another must not leave the rest of it behind.
    return tuple(sorted(set(forms), key=len, reverse=True))


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split()) or type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
