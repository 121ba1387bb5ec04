"""How the workers of `gateway serve --workers N` share the port: each listens on a socket of its
own (SO_REUSEPORT), and the kernel spreads new connections across them.

With one shared listening socket, asyncio accepts up to the listen backlog (uvicorn: 2048)
connections per wake-up, so whichever worker woke first took a whole burst: 50 kept-alive
connections opened at once all went to one of two workers (11,309 queries against 1 in
benchmarks.load_figures); taking one per wake-up still left bursts to one worker on a busy
host. The kernel's SO_REUSEPORT hash does not depend on who wakes first.

uvicorn's supervisor hands every worker the same sockets, so the parent holds the port with a
socket that is bound but never listens (no connection can queue on it), and each worker's loop
swaps that socket for a listener of its own when uvicorn starts serving on it. The cost: the
connections queued at a worker that dies are reset, as with any per-process listener.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any


def _reuse_port(family: int) -> socket.socket:
    """A TCP socket that may share its port with the workers' others (SO_REUSEPORT).

    IPPROTO_TCP said outright: asyncio sets TCP_NODELAY only on connections whose socket names
    it, and without it Nagle's algorithm held answers for the client's delayed ACK (p50 44 ms).
    """
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def hold_port(host: str, port: int) -> socket.socket:
    """The parent's socket: the address reserved for the workers' listeners, never listening
    (a second gateway, binding without SO_REUSEPORT, still finds the port taken)."""
    sock = _reuse_port(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def own_listener(held: socket.socket) -> socket.socket:
    """A worker's listener on the held socket's address (asyncio makes it listen)."""
    sock = _reuse_port(held.family)
    sock.bind(held.getsockname())
    return sock


class ReusePortLoop(asyncio.SelectorEventLoop):
    """asyncio's loop, serving each socket uvicorn hands it through a listener of its own.

    A loop, because uvicorn takes a loop by import path and has no hook between receiving the
    supervisor's sockets and serving them.
    """

    async def create_server(
        self, protocol_factory: Any, *args: Any, sock: socket.socket | None = None, **kwargs: Any
    ) -> asyncio.Server:
        if sock is not None:
            sock = own_listener(sock)
        return await super().create_server(protocol_factory, *args, sock=sock, **kwargs)


#: The import path uvicorn loads the workers' loop from.
LOOP = f"{__name__}:{ReusePortLoop.__name__}"
