"""/v1/documents: list, upload (same loaders and limits as the CLI), delete."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from index.ingest import delete_documents, ingest_upload
from rag.types import DocumentInfo, IngestReport

from .schemas import ErrorResponse

router = APIRouter(tags=["documents"])
_READ_BLOCK = 1 << 20


@router.get("/documents", response_model=list[DocumentInfo])
async def list_documents(request: Request) -> list[DocumentInfo]:
    """Every ingested document with its chunk count."""
    docs: list[DocumentInfo] = await run_in_threadpool(
        request.app.state.assistant.corpus.manifest.documents
    )
    return docs


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while block := await upload.read(_READ_BLOCK):
        data.extend(block)
        if len(data) > limit:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                f"file larger than {limit} bytes")
    return bytes(data)


@router.post("/documents", response_model=IngestReport, status_code=status.HTTP_201_CREATED,
             responses={code: {"model": ErrorResponse} for code in (400, 409, 413)})
async def upload_document(file: UploadFile, request: Request) -> IngestReport:
    """Ingest one file (.txt .md .html .pdf .jsonl)."""
    corpus = request.app.state.assistant.corpus
    limit = int(corpus.settings.max_file_mb * 1024 * 1024)
    data = await _read_limited(file, limit)
    report, _ = await run_in_threadpool(ingest_upload, corpus, data, file.filename or "upload.txt")
    return report


@router.delete("/documents/{doc_id}", response_model=IngestReport,
               responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}})
async def delete_document(doc_id: str, request: Request) -> IngestReport:
    """Remove a document (by id or source path) and all its chunks."""
    corpus = request.app.state.assistant.corpus
    report: IngestReport = await run_in_threadpool(delete_documents, corpus, [doc_id])
    return report
