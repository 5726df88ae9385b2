"""The managed local LLM: llama-cpp-python's OpenAI-compatible server over the bundled
reader model (``rag.adapters.local_model``), chatting with the chat template inside the GGUF.

The `local` generator calls `ensure_server`: it reuses a healthy server on the configured
port or starts one detached, so the model loads once and later `rag ask` calls find it.
A pidfile in the data folder lets any process report on or stop the server it started.

There is one server per `ServerRole`: the reader's, and the second look's
(``rag.generation.reader``). The server reuses only the previous request's prefix, so on one
server each call would evict the other's fixed system prompt from the cache; measured on
the dev split, that cost about 2.5 s of the reader's and 0.7 s of the check's prompt
evaluation per answer. Two processes map the same model file, so the weights are in
memory once; each adds its own context (about 0.9 GB).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from filelock import FileLock
from filelock import Timeout as LockTimeout

from ..errors import LLMUnavailableError, StorageError
from ..settings import Settings
from . import cpu_backend, procinfo
from .local_model import reader_gguf

HOST = "127.0.0.1"
SERVER_MODULE = "rag.adapters.llm_serve"
# A server started before rag/ had stage folders runs the module under its old name; it is
# still ours to report and stop (else `make run` after an upgrade finds its port taken).
_SERVER_MODULES = (SERVER_MODULE, "rag.llm_serve")
_POLL_S = 0.25
_STOP_GRACE_S = 10.0
# The first start also assembles the 1.1 GB model before loading it.
_ASSEMBLE_GRACE_S = 120.0
_LOG_TAIL_LINES = 6


class ServerRole(StrEnum):
    """Which managed server: the reader's, or the second look's."""

    reader = "reader"
    check = "check"


# Each role's file names in the data folder (pidfile, lock, log); the reader's keep the
# names they had before there were two, so an upgrade still finds its running server.
_FILE_STEMS = {ServerRole.reader: "llm-server", ServerRole.check: "llm-server-check"}


def managed_roles(settings: Settings) -> tuple[ServerRole, ...]:
    """The servers the `local` generator uses with these settings."""
    if settings.reader_confirm:
        return (ServerRole.reader, ServerRole.check)
    return (ServerRole.reader,)


def role_port(settings: Settings, role: ServerRole) -> int:
    return settings.llm_check_port if role is ServerRole.check else settings.llm_port


@dataclass(frozen=True)
class ServerHandle:
    """A server this process started; `stop()` ends it and removes its pidfile."""

    pid: int
    port: int
    log_path: Path
    pidfile: Path

    @property
    def base_url(self) -> str:
        return local_url(self.port)

    def stop(self) -> None:
        _terminate(self.pid)
        _forget_pidfile(self.pidfile, self.pid)


@dataclass(frozen=True)
class ServerStatus:
    """What `rag` knows about the managed server: the pidfile plus a live health check."""

    base_url: str
    healthy: bool
    pid: int | None
    model: str | None
    cpu_backend: str | None


def local_url(port: int) -> str:
    return f"http://{HOST}:{port}/v1"


def pidfile_path(settings: Settings, role: ServerRole = ServerRole.reader) -> Path:
    return settings.data_dir / f"{_FILE_STEMS[role]}.json"


def log_path(settings: Settings, role: ServerRole = ServerRole.reader) -> Path:
    return settings.data_dir / "logs" / f"{_FILE_STEMS[role]}.log"


def start_server(
    settings: Settings,
    model_path: Path | None = None,
    port: int | None = None,
    chat_format: str | None = None,
    role: ServerRole = ServerRole.reader,
) -> ServerHandle:
    """Start a llama.cpp server in its own session and wait until it answers.

    The server outlives the calling process (that is what lets `rag ask` leave it
    running); stop it with `ServerHandle.stop` or `stop_server`.
    """
    model = (model_path or reader_gguf(settings.data_dir / "models")).resolve()
    port = port or role_port(settings, role)
    if not _port_is_free(port):
        raise LLMUnavailableError(f"cannot start the LLM server: port {port} is already in use")
    log = log_path(settings, role)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                _command(settings, model, port, chat_format),
                env=_server_env(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the caller's terminal must not reach it
            )
        handle = ServerHandle(process.pid, port, log, pidfile_path(settings, role))
        _write_pidfile(handle)
    except OSError as exc:
        raise StorageError(f"cannot start the LLM server in {settings.data_dir}: {exc}") from exc
    try:
        _wait_ready(handle, process, settings.llm_start_timeout_s)
    except LLMUnavailableError:
        handle.stop()
        raise
    return handle


def ensure_server(settings: Settings, role: ServerRole = ServerRole.reader) -> str:
    """The base URL of a healthy server for ``role`` on its port, started if need be."""
    url = local_url(role_port(settings, role))
    if _healthy(url):
        return url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Loading takes seconds: without the lock two `rag ask` calls would start two servers.
    wait_s = settings.llm_start_timeout_s + _ASSEMBLE_GRACE_S
    lock = FileLock(settings.data_dir / f"{_FILE_STEMS[role]}.lock", timeout=wait_s)
    try:
        with lock:
            if _healthy(url):  # another process started it while this one waited
                return url
            return start_server(settings, role=role).base_url
    except LockTimeout as exc:
        raise LLMUnavailableError(
            f"another process has been starting the LLM server for {lock.timeout:.0f}s"
        ) from exc


def stop_server(settings: Settings, role: ServerRole = ServerRole.reader) -> bool:
    """Stop the server named in the role's pidfile; False when there was none to stop."""
    path = pidfile_path(settings, role)
    info = _read_pidfile(path)
    if info is None:
        return False
    pid = int(info["pid"])
    stopped = _is_llama_server(pid)
    if stopped:
        _terminate(pid)
    _forget_pidfile(path, pid)
    return stopped


def server_status(settings: Settings, role: ServerRole = ServerRole.reader) -> ServerStatus:
    """The pidfile's server, or else whichever managed server listens on the port (one
    started from another data folder); its model and CPU backend as its process shows
    them, which is what it really serves."""
    info = _read_pidfile(pidfile_path(settings, role)) or {}
    port = int(info.get("port", role_port(settings, role)))
    url = local_url(port)
    pid = int(info["pid"]) if "pid" in info else procinfo.listener_pid(port)
    if pid is None or not _is_llama_server(pid):
        return ServerStatus(url, _healthy(url), pid=None, model=None, cpu_backend=None)
    loaded = [f for f in procinfo.mapped_files(pid) if f.name.startswith(cpu_backend.PREFIX)]
    return ServerStatus(
        base_url=url,
        healthy=_healthy(url),
        pid=pid,
        model=procinfo.option(procinfo.command_line(pid), "--model"),
        cpu_backend=", ".join(cpu_backend.variant_name(f) for f in loaded) or None,
    )


def _command(settings: Settings, model: Path, port: int, chat_format: str | None) -> list[str]:
    threads = str(settings.llm_threads or _cpu_count())
    command = [
        sys.executable, "-m", SERVER_MODULE,
        "--model", str(model),
        "--model_alias", settings.llm_model,
        "--host", HOST,
        "--port", str(port),
        "--n_ctx", str(settings.llm_ctx),
        "--n_threads", threads,
        "--n_threads_batch", threads,
        # The server's default keeps logits for every prompt token (n_ctx x 152k vocab,
        # over 1 GB) just to offer logprobs, which nothing here asks for.
        "--logits_all", "False",
        # Per-request timings would grow the log without bound on a long-lived server.
        "--verbose", "False",
        # No `--cache`: llama-cpp-python's RAM prompt cache bounds only the KV bytes of a
        # saved state, not the logits array each state also copies (n_batch x 152k vocab,
        # 311 MB); it held 14 GB after 70 questions. The server still reuses the previous
        # request's prefix, so the fixed system prompt stays cached.
        # No prompt-lookup decoding (`--draft_model`) either: it turns on logits for every
        # prompt token, and 29 reader prompts of the dev split took 211 s instead of 166 s
        # (3 replies changed).
    ]  # fmt: skip
    if chat_format:
        command += ["--chat_format", chat_format]
    return command


def _server_env() -> dict[str, str]:
    """Our environment without the variables the server would read as its settings: its
    settings class reads the environment (PORT, HOST, MODEL... in any case) over its
    command line, so `make run PORT=8111` would move it off the port it was given."""
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    names = set(ServerSettings.model_fields) | set(ModelSettings.model_fields)
    return {k: v for k, v in os.environ.items() if k.lower() not in names}


def _cpu_count() -> int:
    # The cores this process may run on, not the host's: containers limit affinity.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _wait_ready(handle: ServerHandle, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not _healthy(handle.base_url):
        if process.poll() is not None:
            raise LLMUnavailableError(
                f"the LLM server exited with code {process.returncode} while starting "
                f"({handle.log_path}): {_log_tail(handle.log_path)}"
            )
        if time.monotonic() > deadline:
            raise LLMUnavailableError(
                f"the LLM server did not answer within {timeout_s:.0f}s "
                f"({handle.log_path}): {_log_tail(handle.log_path)}"
            )
        time.sleep(_POLL_S)


def _healthy(base_url: str) -> bool:
    try:
        response = httpx.get(f"{base_url}/models", timeout=2.0)
        return response.status_code == 200 and "data" in response.json()
    except (httpx.HTTPError, ValueError):
        return False


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # The server sets SO_REUSEADDR too, so sockets in TIME_WAIT do not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _log_tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    tail = [line.strip() for line in lines if line.strip()][-_LOG_TAIL_LINES:]
    return " | ".join(tail) or "(empty log)"


def _is_alive(pid: int) -> bool:
    try:
        # Reap it first if it is our own child: a zombie still answers kill(pid, 0).
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Another process's exited child (the server `make run`'s API started, stopped from a
    # second terminal) stays a zombie until that parent reaps it: it is gone all the same.
    return not procinfo.is_zombie(pid)


def _is_llama_server(pid: int) -> bool:
    """Alive and still our server: after a reboot the pidfile's pid may be anyone's."""
    if not _is_alive(pid):
        return False
    if not procinfo.PROC.is_dir():
        return True  # no /proc here: trust the pidfile
    args = procinfo.command_line(pid)
    return any(module in args for module in _SERVER_MODULES)


def _terminate(pid: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + _STOP_GRACE_S
        while time.monotonic() < deadline:
            if not _is_alive(pid):
                return
            time.sleep(0.1)


def _write_pidfile(handle: ServerHandle) -> None:
    record = {"pid": handle.pid, "port": handle.port}
    partial = handle.pidfile.with_name(handle.pidfile.name + ".partial")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, handle.pidfile)


def _read_pidfile(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "pid" in record and "port" in record else None


def _forget_pidfile(path: Path, pid: int) -> None:
    info = _read_pidfile(path)
    if info is not None and int(info["pid"]) == pid:
        path.unlink(missing_ok=True)
