"""The one LLM client: any server that speaks OpenAI's chat API (OpenAI, vLLM, Ollama,
llama.cpp), through ``/v1/chat/completions``.

Every failure of the server or the wire becomes one `LLMUnavailableError` with a
one-line reason, so callers can fall back to extraction.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from ..errors import LLMUnavailableError
from ..settings import ResponseFormat, Settings
from ..types import ChatMessage
from .llm_server import ServerRole, ensure_server

if TYPE_CHECKING:
    import httpx
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

# A dead or unroutable host should fail in seconds, whatever the read timeout is.
_CONNECT_TIMEOUT_S = 5.0
_HEALTH_TIMEOUT_S = 3.0


class LLMClient:
    """Text generation from one model on one server, deterministic (temperature 0)
    unless a call asks otherwise."""

    def __init__(
        self,
        base_url: str | None,
        model: str,
        *,
        api_key: str = "unused",
        timeout_s: float = 30.0,
        retries: int = 1,
        max_tokens: int = 48,
        temperature: float = 0.0,
        response_format: ResponseFormat = "json_schema",
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
        self.response_format: ResponseFormat = response_format
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
    def from_settings(cls, settings: Settings, role: ServerRole = ServerRole.reader) -> LLMClient:
        """The client for ``settings``; `local` without a URL starts the managed server of
        ``role``. A server given by URL serves every role."""
        base_url = settings.llm_base_url
        local = settings.llm == "local"
        if base_url is None and local:
            base_url = ensure_server(settings, role)
        return cls(
            base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.timeout_s,
            retries=settings.llm_retries,
            max_tokens=settings.llm_max_tokens,
            # The managed server is llama-cpp-python's, which takes only its own form.
            response_format="json_object" if local else settings.llm_response_format,
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None = None,
        stop: list[str] | None = None,
        json_schema: dict[str, Any] | None = None,
        temperature: float | None = None,
    ) -> str:
        """The whole reply; raises `LLMUnavailableError` if it is empty. ``json_schema``
        asks the server to constrain the reply to it (llama.cpp turns it into a grammar);
        ``temperature`` overrides the client's own (0: deterministic) for this call."""
        with self._translated():
            response = self._create(messages, max_tokens, stop, json_schema, temperature)
        if isinstance(response, str):  # the SDK hands back the text of a non-JSON reply
            raise LLMUnavailableError(f"{self._where} answered in a format other than JSON")
        self._count_tokens(response)
        text = ""
        if getattr(response, "choices", None):
            content = getattr(getattr(response.choices[0], "message", None), "content", None)
            text = content if isinstance(content, str) else ""  # the SDK does not validate
        if not text.strip():
            raise LLMUnavailableError(f"{self._where} returned empty output")
        return text

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
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        stop: list[str] | None,
        json_schema: dict[str, Any] | None,
        temperature: float | None,
    ) -> Any:
        options: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
        }
        if stop:
            options["stop"] = stop
        if json_schema is not None and self.response_format == "json_schema":
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": json_schema},
            }
        elif json_schema is not None and self.response_format == "json_object":
            # llama-cpp-python's form: the schema beside the type, compiled to a grammar.
            options["response_format"] = {"type": "json_object", "schema": json_schema}
        sent = [
            cast("ChatCompletionMessageParam", {"role": m.role, "content": m.content})
            for m in messages
        ]
        return self._client.chat.completions.create(messages=sent, **options)

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
