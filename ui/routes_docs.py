"""/v1/documents: list, upload (same loaders and limits as the CLI), delete.

An upload is one multipart `file`, ingested at once (201 and its report), or several
files (`files` parts, or more than one `file`), ingested as a job (202; `routes_jobs`).
A JSON body {"url": ...} or {"feed": ...} ingests a web page or a feed's pages as a job,
fetched under the SSRF guard (RAG_URL_ALLOW_NETWORKS) and checked before the 202.
One route takes both bodies, so it reads the body itself, by its Content-Type.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

# Starlette's class: what request.form() holds (FastAPI's UploadFile is a subclass of it).
from starlette.datastructures import FormData, UploadFile

from index.ingest import delete_documents, ingest_upload
from rag.errors import InputError
from rag.types import DocumentInfo, DocumentSort, IngestReport

from .blocking import run_blocking
from .routes_jobs import ACCEPTED_RESPONSE, accepted
from .schemas import MAX_JSON_BODY_BYTES, FeedIngestRequest, UrlIngestRequest, error_responses

router = APIRouter(prefix="/v1", tags=["documents"])
Body = TypeVar("Body", bound=BaseModel)
_READ_BLOCK = 1 << 20
# Room for the multipart framing and headers around the file itself.
_MULTIPART_SLACK = 64 * 1024
_PART_SLACK = 4 * 1024
_FILE_FIELDS = ("file", "files")
_BINARY = {"type": "string", "format": "binary"}
_UPLOAD_BODY = {
    "type": "object",
    "properties": {
        "file": {**_BINARY, "description": "One file, ingested at once: 201 and its report."},
        "files": {
            "type": "array",
            "items": _BINARY,
            "minItems": 1,
            "description": "Files ingested as a job, at most RAG_MAX_UPLOAD_FILES "
            "(default 100): 202 and where to poll the job.",
        },
    },
    # Either part will do, and a body with neither gets a 400 ("name a file"). Not said
    # as anyOf of two `required`s: schemathesis mutates one branch of an anyOf into
    # "invalid" data that the other branch still admits, and fails the server for
    # accepting it.
}


def max_file_bytes(max_file_mb: float) -> int:
    return int(max_file_mb * 1024 * 1024)


def upload_body_limits(max_file_mb: float, max_files: int) -> dict[str, int]:
    """The body limit of the upload route (see `BodyLimit`): ``max_files`` files of
    RAG_MAX_FILE_MB each, with their multipart framing."""
    per_file = max_file_bytes(max_file_mb) + _PART_SLACK
    return {"/v1/documents": max_files * per_file + _MULTIPART_SLACK}


@router.get("/documents", response_model=list[DocumentInfo], responses=error_responses(503))
async def list_documents(request: Request, sort: DocumentSort = "source") -> list[DocumentInfo]:
    """Every ingested document with its chunk count; ``sort=published`` lists the newest
    first and the undated last."""
    docs: list[DocumentInfo] = await run_blocking(
        request.app.state.assistant.corpus.manifest.documents, sort
    )
    return docs


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while block := await upload.read(_READ_BLOCK):
        data.extend(block)
        if len(data) > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {limit} bytes"
            )
    return bytes(data)


def _file_parts(form: FormData) -> list[UploadFile]:
    parts = [(field, value) for field in _FILE_FIELDS for value in form.getlist(field)]
    for field, value in parts:
        if not isinstance(value, UploadFile):
            loc = ("body", field)
            raise RequestValidationError([{"type": "value_error", "loc": loc, "msg": "not a file"}])
    if not parts:
        raise InputError("no file: send a 'file' part (ingested at once) or 'files' parts (a job)")
    return [value for _, value in parts if isinstance(value, UploadFile)]


def _upload_docs() -> dict[str, Any]:
    web = [model.model_json_schema() for model in (UrlIngestRequest, FeedIngestRequest)]
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": _UPLOAD_BODY},
                "application/json": {"schema": {"anyOf": web}},
            },
        }
    }


def _is_json(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _json_body(request: Request) -> bytes:
    """The body, held to the JSON limit: this path's own limit is the uploads'."""
    data = bytearray()
    async for block in request.stream():
        data.extend(block)
        if len(data) > MAX_JSON_BODY_BYTES:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"the request body is larger than {MAX_JSON_BODY_BYTES} bytes",
            )
    return bytes(data)


def _invalid_json(position: int, reason: str) -> RequestValidationError:
    ctx = {"error": reason}
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body", position), "msg": reason, "ctx": ctx}]
    )


def _web_source(raw: bytes) -> tuple[str, bool]:
    """The URL a JSON body names, and whether it names a feed."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _invalid_json(exc.pos, exc.msg) from exc
    except UnicodeDecodeError as exc:
        raise _invalid_json(exc.start, "not UTF-8") from exc
    except RecursionError as exc:
        raise _invalid_json(0, "nested too deeply") from exc
    if isinstance(data, dict) and "feed" in data:
        return _validated(FeedIngestRequest, data).feed, True
    return _validated(UrlIngestRequest, data).url, False


def _validated(model: type[Body], data: object) -> Body:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from exc


async def _web_job(request: Request) -> JSONResponse:
    url, feed = _web_source(await _json_body(request))
    allowed = request.app.state.settings.url_allow_networks
    jobs = request.app.state.jobs
    job = await run_blocking(jobs.submit_url, url, feed=feed, allow_networks=allowed)
    return accepted(request, job)


@router.post(
    "/documents",
    response_model=IngestReport,
    status_code=status.HTTP_201_CREATED,
    responses={202: ACCEPTED_RESPONSE, **error_responses(400, 403, 409, 413, 502, 503, 507)},
    openapi_extra=_upload_docs(),
)
async def upload_document(request: Request) -> IngestReport | JSONResponse:
    """Ingest one file (.txt .md .html .pdf .jsonl) at once; several files, a web page
    ({"url"}) or a feed ({"feed"}) as a job. An unreadable single file gets 400; one of
    several files, or of a feed's pages, is skipped with the reason."""
    if _is_json(request):
        return await _web_job(request)
    corpus = request.app.state.assistant.corpus
    async with request.form(max_files=corpus.settings.max_upload_files) as form:
        files = _file_parts(form)
        if len(files) > 1 or not form.getlist("file"):
            uploads = [(upload.filename or "upload", upload.file) for upload in files]
            jobs = request.app.state.jobs
            return accepted(request, await run_blocking(jobs.submit_files, uploads))
        data = await _read_limited(files[0], max_file_bytes(corpus.settings.max_file_mb))
    report: IngestReport
    report, _ = await run_blocking(ingest_upload, corpus, data, files[0].filename or "upload.txt")
    return report


# :path, because a document's source is a relative path ("business/001.txt").
@router.delete(
    "/documents/{doc_id:path}",
    response_model=IngestReport,
    responses=error_responses(404, 409, 503),
)
async def delete_document(doc_id: str, request: Request) -> IngestReport:
    """Remove a document (by id or source path) and all its chunks."""
    corpus = request.app.state.assistant.corpus
    report: IngestReport = await run_blocking(delete_documents, corpus, [doc_id])
    return report
