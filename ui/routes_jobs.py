"""/v1/jobs: the state of ingestions that run in the background (`index.job_runner`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from index.jobs import JobInfo, JobStatus

from .blocking import run_blocking
from .schemas import error_responses

router = APIRouter(prefix="/v1", tags=["jobs"])
MAX_JOBS_LISTED = 200
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The job's id.")]


class JobAccepted(BaseModel):
    """A started ingestion: poll `url` (also the Location header) until it is done or failed."""

    id: str
    status: JobStatus
    url: str = Field(description="The job's path: GET it for its progress and report.")


ACCEPTED_RESPONSE = {
    "model": JobAccepted,
    "description": "The ingestion runs as a job: poll GET /v1/jobs/{id} (the Location header).",
}


def accepted(request: Request, job: JobInfo) -> JSONResponse:
    """202 with where to poll the job; a relative Location, right behind any proxy."""
    url = str(request.app.url_path_for("get_job", job_id=job.id))
    body = JobAccepted(id=job.id, status=job.status, url=url)
    return JSONResponse(
        status_code=status.HTTP_202_ACCEPTED, content=body.model_dump(), headers={"Location": url}
    )


@router.get("/jobs", response_model=list[JobInfo], responses=error_responses(503))
async def list_jobs(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_JOBS_LISTED, description="Most jobs listed.")] = 50,
) -> list[JobInfo]:
    """The newest ingestion jobs first (finished ones are kept for a while)."""
    jobs: list[JobInfo] = await run_blocking(request.app.state.jobs.recent, limit)
    return jobs


@router.get("/jobs/{job_id}", response_model=JobInfo, responses=error_responses(404, 503))
async def get_job(job_id: JobId, request: Request) -> JobInfo:
    """One job: its status, files done of total, chunks embedded, skipped files, report."""
    job: JobInfo = await run_blocking(request.app.state.jobs.get, job_id)
    return job
