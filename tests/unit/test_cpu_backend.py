"""Choosing llama.cpp's CPU backend, and the /proc readings `rag llm-server status` uses."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from rag.adapters import procinfo
from rag.adapters.cpu_backend import EXCLUDED, CpuBackend, choose, variant_files, variant_name
from rag.errors import ConfigError

pytestmark = pytest.mark.unit


def backend(name: str, score: int) -> CpuBackend:
    return CpuBackend(name, Path(f"/lib/libggml-cpu-{name}.so"), score)


def test_the_best_scoring_variant_wins_but_never_the_amx_one() -> None:
    # On a CPU with AMX the AMX variant scores highest; it must still not be taken.
    found = [backend("haswell", 10), backend("sapphirerapids", 90), backend("zen4", 60)]
    assert "sapphirerapids" in EXCLUDED
    assert choose(found).name == "zen4"


def test_variants_that_cannot_run_here_are_skipped_and_none_left_is_an_error() -> None:
    assert choose([backend("zen4", 0), backend("haswell", 12), backend("x64", 1)]).name == (
        "haswell"
    )
    with pytest.raises(ConfigError, match="zen4=0, sapphirerapids=50"):
        choose([backend("zen4", 0), backend("sapphirerapids", 50)])
    with pytest.raises(ConfigError, match="none found"):
        choose([])


def test_variant_files_skip_soname_links_and_names_come_from_the_file(tmp_path: Path) -> None:
    real = tmp_path / "libggml-cpu-zen4.so"
    real.write_bytes(b"")
    (tmp_path / "libggml-cpu-zen4.so.0").symlink_to(real)
    (tmp_path / "libggml-base.so").write_bytes(b"")
    (tmp_path / "libggml-cpu-x64.so").write_bytes(b"")
    files = variant_files(tmp_path)
    assert [variant_name(p) for p in files] == ["x64", "zen4"]


def test_the_listener_of_a_port_is_found_with_its_command_line() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert procinfo.listener_pid(port) is None  # bound, not yet listening
        server.listen()
        assert procinfo.listener_pid(port) == os.getpid()
    assert procinfo.listener_pid(port) is None
    assert "pytest" in " ".join(procinfo.command_line(os.getpid()))
    assert procinfo.option(["x", "--model", "/m.gguf", "--port"], "--model") == "/m.gguf"
    assert procinfo.option(["x", "--port"], "--port") is None


def test_mapped_files_list_the_libraries_a_process_loaded() -> None:
    import _ctypes

    names = {p.name for p in procinfo.mapped_files(os.getpid())}
    assert Path(_ctypes.__file__).name in names
    assert procinfo.mapped_files(2**22 + 1) == [] and procinfo.command_line(2**22 + 1) == []


def test_an_exited_child_not_yet_reaped_is_a_zombie_and_a_running_one_is_not() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert not procinfo.is_zombie(child.pid)
        child.kill()
        deadline = time.monotonic() + 10
        while not procinfo.is_zombie(child.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # killed, not yet reaped: nothing here calls wait()
        assert procinfo.is_zombie(child.pid)
    finally:
        child.wait()
    assert not procinfo.is_zombie(child.pid)  # reaped: no such process any more
