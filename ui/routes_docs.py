"""/v1/documents: list, upload (same loaders and limits as the CLI), delete."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, UploadFile, status

from index.ingest import delete_documents, ingest_upload
from rag.types import DocumentInfo, DocumentSort, IngestReport

from .blocking import run_blocking
from .schemas import error_responses

router = APIRouter(prefix="/v1", tags=["documents"])
_READ_BLOCK = 1 << 20
# Room for the multipart framing and headers around the file itself.
_MULTIPART_SLACK = 64 * 1024


def max_file_bytes(max_file_mb: float) -> int:
    return int(max_file_mb * 1024 * 1024)


def upload_body_limits(max_file_mb: float) -> dict[str, int]:
    """The body limit of the upload route (see `BodyLimit`), following RAG_MAX_FILE_MB."""
    return {"/v1/documents": max_file_bytes(max_file_mb) + _MULTIPART_SLACK}


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


@router.post(
    "/documents",
    response_model=IngestReport,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(400, 409, 413, 503, 507),
)
async def upload_document(file: UploadFile, request: Request) -> IngestReport:
    """Ingest one file (.txt .md .html .pdf .jsonl); unreadable or unsupported files get 400."""
    corpus = request.app.state.assistant.corpus
    data = await _read_limited(file, max_file_bytes(corpus.settings.max_file_mb))
    report: IngestReport
    report, _ = await run_blocking(ingest_upload, corpus, data, file.filename or "upload.txt")
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
