"""The Gradio chat page, mounted on the FastAPI app at /ui (with its Sources tab,
`ui.chat_sources`, the only modules importing gradio).

Handlers are plain sync functions and generators: Gradio runs them in worker threads,
which is where the blocking Assistant belongs. The conversation lives in a per-session
``gr.State`` of ``ChatTurn``s; the chat transcript is re-rendered from it, so what the
model sees as history is exactly what the user sees.
"""

from __future__ import annotations

import rag  # noqa: F401  (the offline environment, which gradio reads when imported)

# isort: split
import hmac
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast, get_args

import gradio as gr
from fastapi import FastAPI

from index.job_runner import JobRunner
from rag.errors import RagError
from rag.pipeline import Assistant
from rag.settings import GeneratorName, Settings
from rag.types import Answer, ChatMessage, Scope

from .chat_render import (
    ChatTurn,
    answer_html,
    error_html,
    passage_around,
    pending_html,
    question_html,
    sources_html,
    streaming_html,
)
from .chat_sources import SourcesPage, sources_tab

PATH = "/ui"
# Chats answered at once per process. Retrieval and the extractive answer are CPU work
# in threads; LLM calls are bounded separately by RAG_LLM_CONCURRENCY. Beyond the limit
# events wait in the queue (with a visible position) instead of piling onto the cores.
CHAT_CONCURRENCY = 8
QUEUE_SIZE = 64
EXAMPLES = (
    "Who exchanged the ratification documents?",
    "On which day did KCNA report the pact took effect?",
    "Хто обмінявся ратифікаційними документами?",
)
# System fonts only: the default theme's web fonts would be a request the page may not get.
FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")
STATIC = Path(__file__).with_name("static")

Messages = list[dict[str, str]]
ChatUpdate = tuple[Messages, list[ChatTurn], str, Any]


def history(turns: Sequence[ChatTurn]) -> list[ChatMessage]:
    """Earlier turns as the assistant expects them for follow-up questions."""
    messages: list[ChatMessage] = []
    for turn in turns:
        messages.append(ChatMessage(role="user", content=turn.question))
        messages.append(ChatMessage(role="assistant", content=turn.answer.answer))
    return messages


def transcript(turns: Sequence[ChatTurn]) -> Messages:
    messages: Messages = []
    for turn in turns:
        messages.append({"role": "user", "content": question_html(turn.question)})
        messages.append({"role": "assistant", "content": answer_html(turn.answer, turn.number)})
    return messages


class ChatPage:
    """The page's handlers; ``assistant`` returns the app's one Assistant when called."""

    def __init__(self, assistant: Callable[[], Assistant], settings: Settings) -> None:
        self._assistant = assistant
        self.settings = settings

    def respond(  # noqa: PLR0917  (Gradio passes the inputs by position)
        self,
        question: str,
        turns: list[ChatTurn],
        generator: str,
        top_k: float,
        since: str = "",
        until: str = "",
    ) -> Iterator[ChatUpdate]:
        """Stream one answer into the transcript, then record the turn; a date that is no
        ISO date, or a since after the until, is shown as the answer's error."""
        question = question.strip()
        panel = sources_html(turns)
        if not question:
            yield transcript(turns), turns, panel, gr.skip()
            return
        shown = [*transcript(turns), {"role": "user", "content": question_html(question)}]
        yield [*shown, _bubble(pending_html("Searching the sources…"))], turns, panel, ""
        # gr.skip(): leave the question box alone, the user may be typing the next one.
        answer: Answer | None = None
        try:
            scope = Scope(since=(since or "").strip() or None, until=(until or "").strip() or None)
            for partial, answer in self._stream(
                question, turns, _generator(generator), top_k, scope
            ):
                if answer is None:
                    yield [*shown, _bubble(streaming_html(partial))], turns, panel, gr.skip()
        except RagError as exc:
            yield [*shown, _bubble(error_html(str(exc)))], turns, panel, gr.skip()
            return
        if answer is not None:
            turns = [*turns, self._turn(len(turns) + 1, question, answer)]
        yield transcript(turns), turns, sources_html(turns), gr.skip()

    def _stream(
        self,
        question: str,
        turns: Sequence[ChatTurn],
        generator: GeneratorName | None,
        top_k: float,
        scope: Scope,
    ) -> Iterator[tuple[str, Answer | None]]:
        """(text so far, None) per event, then ("", the final Answer)."""
        text = ""
        events = self._assistant().stream(question, history(turns), int(top_k), generator, scope)
        for event in events:
            if event.event == "reading" and event.text:
                yield f"*{event.text}…*", None  # replaced by the first verified text
            elif event.event == "token" and event.text:
                text += event.text
                yield text, None
            elif event.event == "error":
                raise RagError(event.message or "the answer failed")
            elif event.event == "done" and event.answer is not None:
                yield "", event.answer

    def _turn(self, number: int, question: str, answer: Answer) -> ChatTurn:
        manifest = self._assistant().corpus.manifest
        texts = {c.source: manifest.article_text(c.source) for c in answer.citations}
        passages = {c.n: passage_around(texts[c.source], c) for c in answer.citations}
        return ChatTurn(number=number, question=question, answer=answer, passages=passages)


def _bubble(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


def _generator(name: str) -> GeneratorName | None:
    return cast(GeneratorName, name) if name in get_args(GeneratorName) else None


def _example_text(event: gr.SelectData) -> str:
    return str(event.value.get("text", "")) if isinstance(event.value, dict) else ""


def _chatbot() -> gr.Chatbot:
    return gr.Chatbot(
        elem_id="rag-chat",
        label="Answers",
        height=560,
        layout="bubble",
        examples=[{"text": q} for q in EXAMPLES],
        feedback_options=None,
        placeholder="Ask a question about the ingested articles.",
        latex_delimiters=[],  # "$" in news text is money, not maths
        group_consecutive_messages=False,
        buttons=["copy_all"],  # not "share": it uploads to a third-party site
    )


def _settings_row(settings: Settings) -> tuple[gr.Radio, gr.Slider, gr.Button]:
    with gr.Row():
        generator = gr.Radio(
            list(get_args(GeneratorName)),
            value=settings.llm,
            label="Generator",
            elem_id="rag-generator",
        )
        top_k = gr.Slider(
            1,
            max(20, settings.top_k),
            value=settings.top_k,
            step=1,
            label="Passages retrieved (top-k)",
            elem_id="rag-top-k",
        )
        clear = gr.Button("New conversation", elem_id="rag-clear")
    return generator, top_k, clear


def _date_filter() -> tuple[gr.Textbox, gr.Textbox]:
    with gr.Accordion("Filter by date", open=False, elem_id="rag-dates"):
        with gr.Row():
            since = gr.Textbox(
                label="Published since", placeholder="2025-01-31", max_lines=1, elem_id="rag-since"
            )
            until = gr.Textbox(
                label="Published until", placeholder="2025-12-31", max_lines=1, elem_id="rag-until"
            )
        gr.Markdown("ISO dates; articles of unknown date are left out while one is set.")
    return since, until


def _chat_tab(page: ChatPage, turns: gr.State) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = _chatbot()
            with gr.Row():
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask about the articles…",
                    scale=5,
                    max_lines=4,
                    elem_id="rag-question",
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
            generator, top_k, clear = _settings_row(page.settings)
            since, until = _date_filter()
        with gr.Column(scale=2, elem_id="rag-sources-column"):
            gr.Markdown("#### Cited sources")
            panel = gr.HTML(sources_html([]), elem_id="rag-sources")
    inputs = [question, turns, generator, top_k, since, until]
    outputs = [chatbot, turns, panel, question]
    for trigger in (question.submit, ask.click):
        trigger(
            page.respond, inputs, outputs, concurrency_id="chat", concurrency_limit=CHAT_CONCURRENCY
        )
    chatbot.example_select(_example_text, None, question).then(
        page.respond, inputs, outputs, concurrency_id="chat", concurrency_limit=CHAT_CONCURRENCY
    )
    for reset in (clear.click, chatbot.clear):
        reset(lambda: ([], [], sources_html([]), ""), None, outputs, queue=False)


def build_blocks(page: ChatPage, sources: SourcesPage) -> gr.Blocks:
    blocks = gr.Blocks(title="News QA", analytics_enabled=False)
    with blocks:
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                _chat_tab(page, turns)
            with gr.Tab("Sources", id="sources", elem_id="rag-sources-tab"):
                table, choice = sources_tab(sources)
        blocks.load(sources.documents, None, [table, choice])
    return blocks


def _password_check(key: str | None) -> Callable[[str, str], bool] | None:
    """Gradio login: any user name, the API key as password (None: no login)."""
    if not key:
        return None
    expected = key.encode()

    def check(_user: str, password: str) -> bool:
        return hmac.compare_digest(password.encode(), expected)

    return check


def mount_chat(app: FastAPI, settings: Settings, path: str = PATH) -> FastAPI:
    """Mount the chat page on ``app``; it uses the Assistant the app opens at start-up."""
    page = ChatPage(lambda: cast(Assistant, app.state.assistant), settings)
    sources = SourcesPage(
        lambda: cast(Assistant, app.state.assistant),
        lambda: cast(JobRunner, app.state.jobs),
        settings,
    )
    blocks = build_blocks(page, sources).queue(
        default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_SIZE
    )
    script = (STATIC / "chat.js").read_text(encoding="utf-8")
    gr.mount_gradio_app(
        app,
        blocks,
        path=path,
        auth=_password_check(settings.api_key),
        auth_message="Log in with any user name and the server's API key as password.",
        theme=gr.themes.Base(font=FONTS, font_mono=MONO_FONTS),
        css_paths=[STATIC / "chat.css"],
        head=f"<script>{script}</script>",
        max_file_size=int(settings.max_file_mb * 1024 * 1024),
        footer_links=[],
        run_history=False,
    )
    return app
