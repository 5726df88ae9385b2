"""The chat page's Sources tab: the documents table, uploads and deletes.

Uploads run as jobs of the app's one `JobRunner` (the one the API's jobs run on, in this
process), and the handler follows the job: it yields a progress bar every
`POLL_S` until the job ends, then the report and the refreshed table. The job does not
depend on the page: closing the tab leaves it running.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import gradio as gr

from index.ingest import delete_documents
from index.job_runner import JobRunner
from index.jobs import JobInfo
from index.loaders import SUPPORTED_SUFFIXES
from rag.errors import RagError
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import DocumentInfo, IngestReport

DOC_HEADERS = ["Title", "Source", "Chunks", "Published", "Ingested"]
POLL_S = 0.5
# Followers only poll the job store; the runner itself ingests one job at a time.
FOLLOW_CONCURRENCY = 8

DocsUpdate = tuple[list[list[Any]], Any]
JobUpdate = tuple[str, str, Any, Any]


def progress_html(job: JobInfo) -> str:
    """A <progress> bar of files read and a line of what the job has done so far."""
    done, total = job.files_done, job.files_total
    bar = (
        f'<progress max="{total}" value="{min(done, total)}"></progress>'
        if total
        else "<progress></progress>"  # indeterminate until the job knows its size
    )
    if job.status == "queued":
        text = "Waiting for the ingestion before it…"
    else:
        text = f"{done}/{total or '?'} files, {job.chunks_embedded} chunks embedded"
    return (
        f'<div class="rag-job" data-status="{job.status}">{bar}'
        f'<span class="rag-job-text">{html.escape(text)}</span></div>'
    )


def report_text(report: IngestReport) -> str:
    done = (
        f"{report.documents_added} added, {report.documents_changed} changed, "
        f"{report.documents_unchanged} unchanged; {report.chunks_embedded} chunks embedded "
        f"in {report.seconds:.1f} s"
    )
    return done + "".join(f"\n- skipped {_md(reason)}" for reason in report.skipped)


def _md(text: str) -> str:
    """User text (file names, reasons) shown literally by the Markdown status box."""
    return html.escape(text).replace("*", "\\*").replace("_", "\\_")


def job_summary(job: JobInfo) -> str:
    inputs = ", ".join(job.inputs[:3]) + (
        f" and {len(job.inputs) - 3} more" if len(job.inputs) > 3 else ""
    )
    if job.status == "failed":
        return f"**{_md(inputs)}**: not ingested: {_md(job.error or 'the job failed')}"
    if job.report is not None:
        return f"**{_md(inputs)}**: {report_text(job.report)}"
    return f"**{_md(inputs)}**: {job.status}"


def _doc_label(doc: DocumentInfo) -> str:
    return f"{doc.title or doc.source} ({doc.source})"


def _doc_row(doc: DocumentInfo) -> list[Any]:
    return [doc.title or "", doc.source, doc.chunks, doc.published or "", doc.ingested_at]


class SourcesPage:
    """The tab's handlers; ``assistant`` and ``jobs`` return the app's objects when called."""

    def __init__(
        self,
        assistant: Callable[[], Assistant],
        jobs: Callable[[], JobRunner],
        settings: Settings,
    ) -> None:
        self._assistant = assistant
        self._jobs = jobs
        self.settings = settings

    def documents(self) -> DocsUpdate:
        docs = self._assistant().corpus.manifest.documents()
        choices = [(_doc_label(d), d.doc_id) for d in docs]
        return [_doc_row(d) for d in docs], gr.update(choices=choices, value=None)

    def upload(self, paths: list[str] | None) -> Iterator[JobUpdate]:
        """Ingest the uploaded files as one job and follow it to its end."""
        files = [Path(p) for p in paths or []]
        if not files:
            yield "", "No file was uploaded.", gr.skip(), gr.skip()
            return
        try:
            with ExitStack() as stack:
                uploads = [(f.name, stack.enter_context(f.open("rb"))) for f in files]
                job = self._jobs().submit_files(uploads)
        except (RagError, OSError) as exc:
            yield "", f"Not ingested: {_md(str(exc))}", *self.documents()
            return
        yield from self.follow(job)

    def ingest_url(self, url: str, feed: bool) -> Iterator[JobUpdate]:
        """Ingest a web page (or a feed's pages) as a job, under the API's SSRF guard:
        the page is a front end for remote users too."""
        url = (url or "").strip()
        if not url:
            yield "", "Enter the URL of a web page or a feed.", gr.skip(), gr.skip()
            return
        allowed = self.settings.url_allow_networks
        try:
            job = self._jobs().submit_url(url, feed=feed, allow_networks=allowed)
        except RagError as exc:
            yield "", f"Not ingested: {_md(str(exc))}", gr.skip(), gr.skip()
            return
        yield from self.follow(job)

    def follow(self, job: JobInfo) -> Iterator[JobUpdate]:
        """The job's progress every POLL_S while it runs, then its report and the table."""
        while not job.finished:
            yield progress_html(job), "", gr.skip(), gr.skip()
            time.sleep(POLL_S)
            job = self._jobs().get(job.id)
        yield progress_html(job), job_summary(job), *self.documents()

    def delete(self, doc_id: str | None) -> tuple[str, *DocsUpdate]:
        if not doc_id:
            return "Choose a document to delete.", *self.documents()
        try:
            report = delete_documents(self._assistant().corpus, [doc_id])
        except RagError as exc:
            return f"Not deleted: {_md(str(exc))}", *self.documents()
        return (
            f"Deleted {report.documents_removed} document ({report.chunks_removed} chunks)."
        ), *self.documents()


def _docs_table() -> gr.Dataframe:
    return gr.Dataframe(
        headers=DOC_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["34%", "26%", "10%", "12%", "18%"],
        elem_id="rag-docs",
    )


def _url_inputs() -> tuple[gr.Textbox, gr.Checkbox, gr.Button]:
    with gr.Row(equal_height=True):
        url = gr.Textbox(
            label="Web page or feed URL",
            placeholder="https://…",
            max_lines=1,
            scale=4,
            elem_id="rag-url",
        )
        feed = gr.Checkbox(label="RSS/Atom feed", value=False, scale=1, elem_id="rag-url-feed")
        add = gr.Button("Add from the web", scale=1, elem_id="rag-url-add")
    return url, feed, add


def sources_tab(page: SourcesPage) -> tuple[gr.Dataframe, gr.Dropdown]:
    size = f"{page.settings.max_file_mb:g} MB"
    gr.Markdown(
        f"Documents in the index. Add {' '.join(SUPPORTED_SUFFIXES)} files "
        f"(at most {page.settings.max_upload_files} at once, {size} each); "
        "a file with a known name replaces that document. A web page is named by its URL."
    )
    table = _docs_table()
    with gr.Row():
        files = gr.File(
            label="Upload files",
            file_count="multiple",
            type="filepath",
            file_types=list(SUPPORTED_SUFFIXES),
            elem_id="rag-upload",
        )
        with gr.Column():
            choice = gr.Dropdown(label="Document", choices=[], elem_id="rag-doc-choice")
            delete = gr.Button("Delete document", variant="stop", elem_id="rag-delete")
            refresh = gr.Button("Refresh list", elem_id="rag-refresh")
    url, feed, add = _url_inputs()
    progress = gr.HTML(elem_id="rag-job-progress")
    status = gr.Markdown(elem_id="rag-docs-status")
    followed = [progress, status, table, choice]
    limit = FOLLOW_CONCURRENCY
    files.upload(page.upload, files, followed, concurrency_id="jobs", concurrency_limit=limit)
    for trigger in (url.submit, add.click):
        trigger(
            page.ingest_url, [url, feed], followed, concurrency_id="jobs", concurrency_limit=limit
        )
    delete.click(
        page.delete, choice, [status, table, choice], concurrency_id="index", concurrency_limit=1
    )
    refresh.click(page.documents, None, [table, choice])
    return table, choice
