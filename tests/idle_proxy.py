"""A reverse proxy that drops idle connections, as nginx (proxy_read_timeout), load
balancers and hosting platforms do: a connection on which no byte moved, either way, for
``idle_s`` is closed. Plain TCP relaying, so HTTP and its event streams pass untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from urllib.parse import urlparse

_BLOCK = 64 * 1024


class IdleProxy:
    """Listens on a free loopback port in a thread of its own; `url` replaces the upstream's."""

    def __init__(self, upstream_url: str, idle_s: float) -> None:
        upstream = urlparse(upstream_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self.idle_s = idle_s
        self.dropped = 0  # connections closed for idleness
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(timeout=30)
        self.url = f"http://127.0.0.1:{self._port}"

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def _run(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self._port = server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()
        server.close()

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
        last_moved = [time.monotonic()]
        pumps = [
            asyncio.ensure_future(_pump(client_in, upstream_out, last_moved)),
            asyncio.ensure_future(_pump(upstream_in, client_out, last_moved)),
        ]
        while not any(pump.done() for pump in pumps):
            await asyncio.wait(pumps, timeout=0.1, return_when=asyncio.FIRST_COMPLETED)
            if time.monotonic() - last_moved[0] > self.idle_s:
                self.dropped += 1
                break
        for pump in pumps:
            pump.cancel()
        for writer in (client_out, upstream_out):
            with contextlib.suppress(OSError):
                writer.close()


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, last_moved: list[float]
) -> None:
    while block := await reader.read(_BLOCK):
        last_moved[0] = time.monotonic()
        writer.write(block)
        await writer.drain()
