"""The `rag` command line. Expected failures become one line on stderr and an exit code."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum, StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import rag  # noqa: F401  (offline environment first)
from evals.bench import bench_command
from evals.cli import eval_command
from rag.errors import RagError
from rag.settings import GeneratorName, Settings, get_settings
from rag.types import Answer, IngestReport, Scope

USAGE = """Ask questions about a folder of news articles; every answer cites the exact
source sentences, or says the sources do not say.

Start with `rag ingest data/sources`, then `rag ask "Who exchanged the ratification
documents?"`, or `rag serve` for the HTTP API and the chat page (http://127.0.0.1:8000/ui).
Settings are RAG_* environment variables or a .env file (see the README).

Exit codes: 0 ok, 1 other failure (a failed soak), 2 bad input or configuration,
3 not found, 4 index locked, 5 embedder mismatch, 6 store unavailable, 7 LLM unavailable,
8 data folder not writable, 9 an eval quality gate failed.
"""

app = typer.Typer(add_completion=False, no_args_is_help=True, help=USAGE)
docs_app = typer.Typer(no_args_is_help=True, help="List or delete ingested documents.")
app.add_typer(docs_app, name="docs")
out = Console()
err = Console(stderr=True)

CollectionOpt = Annotated[
    str | None, typer.Option("--collection", help="Chroma collection (default: RAG_COLLECTION).")
]


def _print_version(asked: bool) -> None:
    if asked:
        print(f"rag (news-rag) {version('news-rag')}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    pass


def _settings(collection: str | None = None) -> Settings:
    settings = get_settings()
    return settings.with_collection(collection) if collection else settings


def _corpus(settings: Settings):  # type: ignore[no-untyped-def]
    from rag.retrieval.corpus import Corpus

    return Corpus(settings)


def _print_report(result: IngestReport | RagError) -> None:
    if isinstance(result, RagError):
        err.print(f"[red]error:[/] {escape(str(result))}", highlight=False, soft_wrap=True)
        return
    for problem in result.skipped:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False)
    out.print(
        f"{result.files_seen} files: {result.documents_added} added, "
        f"{result.documents_changed} changed, {result.documents_unchanged} unchanged, "
        f"{result.documents_removed} removed; "
        f"{result.chunks_added} chunks added, {result.chunks_removed} removed, "
        f"{result.chunks_embedded} embedded in {result.seconds:.1f}s",
        highlight=False,
    )


@app.command()
def ingest(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders, or http(s) URLs of web pages or RSS/Atom feeds."),
    ] = None,
    *,
    feeds: Annotated[
        list[str] | None, typer.Option("--feed", help="A feed URL (repeatable): its entries.")
    ] = None,
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove the documents of files gone from the folders.")
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", help="Then keep the index in step with the folders until Ctrl-C (prunes)."
        ),
    ] = False,
) -> None:
    """Ingest files or folders (.txt .md .html .pdf .jsonl), web pages and feeds; unchanged
    ones cost nothing. A URL is fetched from wherever it points: this is your own command."""
    from index.ingest import ingest_paths
    from index.sync import watch_paths
    from index.web import ingest_url

    targets, feeds = targets or [], feeds or []
    if not targets and not feeds:
        raise typer.BadParameter("name a file, folder or URL (or --feed URL)")
    corpus = _corpus(_settings(collection))
    urls = [t for t in targets if "://" in t]
    paths = [Path(t) for t in targets if "://" not in t]
    if watch:
        if urls or feeds or not paths:
            raise typer.BadParameter("--watch follows folders and files, not URLs")
        return watch_paths(corpus, paths, _print_report)
    reports = [ingest_paths(corpus, paths, prune=prune)] if paths else []
    reports += [ingest_url(corpus, url) for url in urls]
    reports += [ingest_url(corpus, url, feed=True) for url in feeds]
    report = _merged(reports)
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    _print_report(report)


class DocsSort(Enum):  # not a StrEnum: a member "title" would hide str.title
    source = "source"
    published = "published"
    title = "title"


def _merged(reports: list[IngestReport]) -> IngestReport:
    """One report for a run over paths and URLs: counts added up, problems listed."""
    total = IngestReport()
    for report in reports:
        for name, value in report:
            if isinstance(value, list):
                getattr(total, name).extend(value)
            else:
                setattr(total, name, round(getattr(total, name) + value, 3))
    return total


@docs_app.command("list")
def docs_list(
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    sort: Annotated[
        DocsSort, typer.Option(help="published: newest first, the undated last.")
    ] = DocsSort.source,
) -> None:
    """List ingested documents: id, source, title, chunks, published, ingested.

    On a terminal, a table; in a pipe or a file, one tab-separated line per document
    with every value whole, for grep and cut.
    """
    docs = _corpus(_settings(collection)).manifest.documents(sort.value)
    if as_json:
        print(json.dumps([d.model_dump() for d in docs], indent=2, ensure_ascii=False))
        return
    rows = [
        (d.doc_id, d.source, d.title or "", str(d.chunks), d.published or "", d.ingested_at)
        for d in docs
    ]
    if not sys.stdout.isatty():
        for values in rows:
            # A tab or newline inside a title would split its record.
            print("\t".join(" ".join(v.split()) for v in values))
        return
    table = Table("id", "source", "title", "chunks", "published", "ingested")
    for doc_id, source, title, chunks, published, ingested in rows:
        table.add_row(doc_id, source, title[:60], chunks, published, ingested)
    out.print(table)


@docs_app.command("delete")
def docs_delete(
    ids: Annotated[list[str], typer.Argument(help="Document ids or source paths.")],
    collection: CollectionOpt = None,
) -> None:
    """Delete documents and all their chunks."""
    from index.ingest import delete_documents

    report = delete_documents(_corpus(_settings(collection)), ids)
    out.print(f"deleted {report.documents_removed} documents, {report.chunks_removed} chunks")


def _print_answer(answer: Answer) -> None:
    style = "yellow" if answer.refused else "bold"
    out.print(answer.answer, style=style, highlight=False)
    for c in answer.citations:
        when = f", published {c.published}" if c.published else ""
        out.print(
            f"[{c.n}] {c.source} ({c.start}-{c.end}{when}): “{c.quote}”",
            highlight=False,
            style="dim",
        )
    for conflict in answer.conflicts:
        out.print(
            f"conflict on the {conflict.topic}: {' / '.join(conflict.claims)}",
            style="magenta",
            highlight=False,
        )
    if answer.notice:
        err.print(f"note: {answer.notice}", style="dim", highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    *,
    collection: CollectionOpt = None,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50)] = None,
    generator: Annotated[
        GeneratorName | None, typer.Option(help="The generator (default: RAG_LLM).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    stream: Annotated[bool, typer.Option("--stream", help="Print text as it is verified.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Only articles published on or after (2025-01-31).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles published on or before (a date: all of it).")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this document (repeatable).")
    ] = None,
) -> None:
    """Answer a question with citations to the ingested articles.

    A date filter leaves out the articles whose publication date is unknown."""
    from rag.pipeline import Assistant

    scope = Scope(sources=source or None, since=since, until=until)
    assistant = Assistant(_settings(collection))
    try:
        if stream and not as_json:
            for event in assistant.stream(question, top_k=top_k, generator=generator, scope=scope):
                if event.event == "reading" and event.text:
                    err.print(f"{event.text}…", style="dim", highlight=False)
                elif event.event == "token" and event.text:
                    out.print(event.text, end="", highlight=False)
                elif event.event == "done" and event.answer is not None:
                    out.print()
                    _print_answer(event.answer.model_copy(update={"answer": ""}))
            return
        answer = assistant.ask(question, top_k=top_k, generator=generator, scope=scope)
    finally:
        assistant.close()
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        _print_answer(answer)


class LLMServerAction(StrEnum):
    start = "start"
    stop = "stop"
    status = "status"


@app.command("llm-server")
def llm_server(
    action: Annotated[LLMServerAction, typer.Argument(help="What to do.")] = LLMServerAction.start,
) -> None:
    """Start, stop or inspect the managed local LLM servers (llama.cpp, the bundled Qwen):
    the reader's and, with RAG_READER_CONFIRM, its second look's."""
    from rag.adapters.llm_server import (
        ServerRole,
        ensure_server,
        managed_roles,
        server_status,
        stop_server,
    )

    settings = get_settings()
    # `stop` ends both whatever the settings say now: a server started under others stays ours.
    roles = tuple(ServerRole) if action is LLMServerAction.stop else managed_roles(settings)
    for role in roles:
        if action is LLMServerAction.start:
            out.print(f"LLM server ({role}) ready at {ensure_server(settings, role)}")
        elif action is LLMServerAction.stop:
            stopped = stop_server(settings, role)
            out.print(f"{role}: " + ("stopped" if stopped else "no managed LLM server was running"))
        else:
            status = server_status(settings, role)
            state = "healthy" if status.healthy else "not answering"
            out.print(
                f"{role} {status.base_url}: {state} (pid {status.pid}, model {status.model}, "
                f"CPU backend {status.cpu_backend})"
            )


_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The supervisor restarts a worker that misses its ping for this long; a worker busy
# embedding on a small shared machine can be slow to answer the default 5 s.
_WORKER_HEALTHCHECK_S = 30


def _share_metrics(folder: Path) -> None:
    """Workers write their metrics there and a scrape of any one reports the sum.

    Emptied first: an earlier run's counts would add up with this one's. Set before
    uvicorn spawns the workers, which read it when they import prometheus_client.
    """
    import shutil

    from ui.telemetry import MULTIPROC_DIR

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_DIR] = str(folder)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default RAG_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RAG_PORT).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (needs RAG_CHROMA_URL).")
    ] = 1,
    allow_no_auth: Annotated[
        bool,
        typer.Option(
            "--allow-no-auth",
            help="Bind beyond loopback without RAG_API_KEY: anyone who reaches the port "
            "can ask, upload and delete.",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API and the chat page (/ui)."""
    import uvicorn

    from rag.errors import ConfigError

    settings = get_settings()
    host = host or settings.host
    if settings.api_key is None and host not in _LOOPBACK and not allow_no_auth:
        raise ConfigError(
            f"refusing to bind {host} without RAG_API_KEY (set it, or pass --allow-no-auth)"
        )
    if workers > 1 and not settings.chroma_url:
        raise ConfigError(
            "several workers need a Chroma server (RAG_CHROMA_URL): "
            "embedded Chroma allows one writer process"
        )
    if workers > 1:
        _share_metrics(settings.data_dir / "prometheus")
    uvicorn.run(
        "ui.server:app",
        host=host,
        port=port or settings.port,
        workers=workers,
        log_level="info",
        timeout_worker_healthcheck=_WORKER_HEALTHCHECK_S,
    )


app.command("eval")(eval_command)
app.command("bench")(bench_command)


def main() -> None:
    """Console entry point: translate expected errors into exit codes."""
    try:
        # Without standalone mode click returns a typer.Exit's code instead of exiting
        # (a failed soak's 1, --help's 0), and the command's own None on success.
        code = app(standalone_mode=False)
    except RagError as exc:
        # One line however long, even when stderr is not a terminal; escaped, since a
        # message quoting a path or a reason may contain [brackets] rich would swallow.
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:
        # Usage errors: typer raises its own copy of click's exceptions, not click's.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"[red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
