"""The README's examples work as written, against a real `rag serve`."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_server import ServedAPI, serve_samples
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

README = (ROOT / "README.md").read_text(encoding="utf-8")
README_URL = "http://127.0.0.1:8000"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _curl_commands() -> list[str]:
    block = next(b for b in _blocks("bash") if "curl" in b)
    joined = block.replace("\\\n", " ")
    lines = (line.split(" #")[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    data_dir = tmp_path_factory.mktemp("readme") / "data"
    with serve_samples(data_dir) as served:
        yield served


def _run(command: str, api: ServedAPI, cwd: Path) -> str:
    argv = shlex.split(command.replace(README_URL, api.url))
    if argv[0] == "echo":  # the shell line that writes the file to upload
        text, target = command.split(">")
        (cwd / target.strip()).write_text(shlex.split(text)[1] + "\n")
        return ""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_the_curl_examples(api: ServedAPI, tmp_path: Path) -> None:
    (tmp_path / "data").symlink_to(ROOT / "data")
    outputs = [_run(command, api, tmp_path) for command in _curl_commands()]
    assert "Kim Jong Gyu" in outputs[0] and '"refused":false' in outputs[0]
    assert "event: citations" in outputs[1] and "event: done" in outputs[1]
    assert '"documents_added":1' in outputs[4] and '"documents_removed":1' in outputs[5]
    assert '"status":"queued"' in outputs[7] and '"kind":"files"' in outputs[8]
    assert '"ready":true' in outputs[9] and "rag_http_requests_total" in outputs[10]


def test_the_openai_client_example(api: ServedAPI) -> None:
    (code,) = [b for b in _blocks("python") if "from openai import OpenAI" in b]
    done = subprocess.run(
        [sys.executable, "-c", code.replace(README_URL, api.url)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "Kim Jong Gyu" in done.stdout
    assert "1 001_a4b0b9614c74e4e8.txt 911 1092" in done.stdout
    assert "Wednesday" in done.stdout.rsplit("1092", 1)[1]


def test_the_llama_index_example(api: ServedAPI, capsys: pytest.CaptureFixture[str]) -> None:
    """A second real client library, run in this process so the network guard watches it."""
    (code,) = [b for b in _blocks("python") if "OpenAILike" in b]
    exec(compile(code.replace(README_URL, api.url), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "Kim Jong Gyu" in printed
    assert "1 001_a4b0b9614c74e4e8.txt 911 1092" in printed
    streamed = printed.rsplit("1092", 1)[1]
    assert "Wednesday" in streamed and "\n\nSources:\n[1] " in streamed
