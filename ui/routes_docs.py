"""/v1/documents: list, upload (same loaders and limits as the CLI), delete.

An upload is one multipart `file`, ingested at once (201 and its report), or several
files (`files` parts, or more than one `file`), ingested as a job (202; `routes_jobs`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
# Starlette's class: what request.form() holds (FastAPI's UploadFile is a subclass of it).
from starlette.datastructures import FormData, UploadFile

from index.ingest import delete_documents, ingest_upload
from rag.types import DocumentInfo, IngestReport

from .blocking import run_blocking
from .routes_jobs import ACCEPTED_RESPONSE, accepted
from .schemas import error_responses

router = APIRouter(prefix="/v1", tags=["documents"])
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
    "anyOf": [{"required": ["file"]}, {"required": ["files"]}],
}


def max_file_bytes(max_file_mb: float) -> int:
    return int(max_file_mb * 1024 * 1024)


def upload_body_limits(max_file_mb: float, max_files: int) -> dict[str, int]:
    """The body limit of the upload route (see `BodyLimit`): ``max_files`` files of
    RAG_MAX_FILE_MB each, with their multipart framing."""
    per_file = max_file_bytes(max_file_mb) + _PART_SLACK
    return {"/v1/documents": max_files * per_file + _MULTIPART_SLACK}


@router.get("/documents", response_model=list[DocumentInfo], responses=error_responses(503))
async def list_documents(request: Request) -> list[DocumentInfo]:
    """Every ingested document with its chunk count."""
    docs: list[DocumentInfo] = await run_blocking(
        request.app.state.assistant.corpus.manifest.documents
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
        loc = ("body", "file")
        raise RequestValidationError([{"type": "missing", "loc": loc, "msg": "Field required"}])
    return [value for _, value in parts if isinstance(value, UploadFile)]


def _upload_docs() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": _UPLOAD_BODY}},
        }
    }


@router.post(
    "/documents",
    response_model=IngestReport,
    status_code=status.HTTP_201_CREATED,
    responses={202: ACCEPTED_RESPONSE, **error_responses(400, 409, 413, 503, 507)},
    openapi_extra=_upload_docs(),
)
async def upload_document(request: Request) -> IngestReport | JSONResponse:
    """Ingest one file (.txt .md .html .pdf .jsonl) at once, or several as a job; an
    unreadable or unsupported single file gets 400, one of several is skipped with why."""
    corpus = request.app.state.assistant.corpus
    async with request.form(max_files=corpus.settings.max_upload_files) as form:
        files = _file_parts(form)
        if len(files) > 1 or not form.getlist("file"):
            uploads = [(upload.filename or "upload", upload.file) for upload in files]
            return accepted(
                request, await run_blocking(request.app.state.jobs.submit_files, uploads)
            )
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
