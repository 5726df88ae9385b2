"""What Linux's /proc says about another process: who listens on a port, its command line,
the libraries it has loaded, whether it has exited. Elsewhere each answer is "unknown"
(None, empty or False), never an error: these only feed `rag llm-server status` and `stop`.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # the TCP state column of /proc/net/tcp


def listener_pid(port: int) -> int | None:
    """The process with a socket listening on ``port`` (any address), if one is visible."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return None
    for fd_dir in PROC.glob("[0-9]*/fd"):
        if not sockets.isdisjoint(_links(fd_dir)):
            return int(fd_dir.parent.name)
    return None


def command_line(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_zombie(pid: int) -> bool:
    """Whether the process has exited but its parent has not reaped it yet: it still
    answers ``kill(pid, 0)``, but it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    # "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ")".
    return stat[stat.rfind(")") + 1 :].split()[:1] == ["Z"]


def option(args: list[str], name: str) -> str | None:
    """The value after ``name`` in a command line (``--model X``), if present."""
    for flag, value in itertools.pairwise(args):
        if flag == name:
            return value
    return None


def mapped_files(pid: int) -> list[Path]:
    """The files mapped into the process (its loaded libraries among them), in order."""
    try:
        lines = (PROC / str(pid) / "maps").read_text(errors="replace").splitlines()
    except OSError:
        return []
    seen: dict[str, None] = {}
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith("/"):
            seen.setdefault(fields[5], None)
    return [Path(name) for name in seen]


def _links(fd_dir: Path) -> set[str]:
    """What the process's open descriptors point at; fds close while being read."""
    links: set[str] = set()
    try:
        for fd in fd_dir.iterdir():
            try:
                links.add(os.readlink(fd))
            except OSError:
                continue
    except OSError:  # the process is gone, or another user's
        pass
    return links


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == _LISTEN:
                inodes.add(fields[9])
    return inodes
