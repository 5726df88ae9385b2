"""Schemathesis against the real server's OpenAPI schema: no 5xx, responses match the schema.

The schema is built from the app at collection time (schemathesis's lazy fixture loader
does not run under pytest 9) and checked equal to the served /openapi.json, so the cases
are generated from exactly what the server documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from tempfile import gettempdir
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from rag.settings import Settings
from tests.api_server import ServedAPI, serve_samples
from tests.conftest import free_port
from ui.app import create_app

pytestmark = pytest.mark.integration

API_KEY = "schemathesis-key"
EXAMPLES_PER_OPERATION = 25
# The app is only built here, never started: nothing is opened in this folder.
_DOCUMENTED = create_app(Settings(api_key=API_KEY, data_dir=Path(gettempdir()))).openapi()
schema = schemathesis.openapi.from_dict(
    _DOCUMENTED,
    config=SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {API_KEY}"},
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
            # The API's contract: 422 when a request breaks the documented schema, 400 when
            # it is well-formed but unusable (a question of control characters, a .exe
            # upload, a chat ending with the assistant's turn). Schema-valid data may get
            # the 400, never the 422; a URL to ingest that the SSRF guard refuses, 403; a
            # body over the size limit (which a schema cannot state), 413.
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [
                        *("2XX", "400", "401", "403", "404", "409", "413", "503", "504")
                    ]
                }
            },
            # A multipart file field is any bytes on the wire: the "invalid" uploads
            # schemathesis makes by breaking its `format: binary` arrive as valid files, and
            # several files are a job that reads them later (202, bad ones skipped). The
            # upload's real refusals are asserted in test_api_jobs and test_api_web_jobs.
            "operations": [
                {
                    "include-path": "/v1/documents",
                    "include-method": "POST",
                    "checks": {"negative_data_rejection": {"enabled": False}},
                }
            ],
        }
    ),
)


WEB_FIELDS = ("url", "feed")


@schema.hook("map_body")
def _urls_on_loopback(context: Any, body: Any) -> Any:
    """A generated URL to ingest keeps its text, in the path of a loopback URL: a generated
    host name would send the server's DNS query off this machine. The server's guard
    refuses loopback (403) before connecting, as it refuses any address not public."""
    if context.operation is None or context.operation.path != "/v1/documents":
        return body
    if not isinstance(body, dict):
        return body
    return {
        key: f"http://127.0.0.1:9/{quote(value, safe='')[:200]}"
        if key in WEB_FIELDS and isinstance(value, str)
        else value
        for key, value in body.items()
    }


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    data_dir = tmp_path_factory.mktemp("schemathesis") / "data"
    # A generated request may pick generator `local` or `openai`: point both at a port
    # nobody listens on, so they fail fast (and never start a model or leave the machine).
    env = {"RAG_API_KEY": API_KEY, "RAG_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    with serve_samples(data_dir, env) as served:
        served.warm_up()
        yield served


def test_the_served_schema_is_the_one_tested(api: ServedAPI) -> None:
    assert httpx.get(f"{api.url}/openapi.json", timeout=30).json() == _DOCUMENTED


@schema.parametrize()
def test_api_conforms_to_its_schema(case: Any, api: ServedAPI) -> None:
    case.call_and_validate(base_url=api.url)
