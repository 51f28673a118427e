"""A TCP relay in front of a real server whose forwarding a test can stall, for faults that are
real on the wire yet deterministic: the client's gRPC calls travel through real sockets.

- `blackhole()`: connections stay open but nothing gets through either way (a server that accepts
  and never answers): a request sent now never reaches the server.
- `deafen()`: requests reach the server, its answers are dropped (the call succeeded on the
  server while the client's deadline expires).
- `heal()`: forward again; the connections that lost bytes are closed (their HTTP/2 state is
  broken), so the client reconnects on fresh ones and nothing stalled arrives late.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType

from temporalio.client import Client

from core.settings import Settings
from domain.enums import Role
from tests.harness import Stack, running_api, running_worker


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._requests = True
        self._answers = True
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tainted: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    @property
    def address(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            self._close(link)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), timeout=5)

    def blackhole(self) -> None:
        self._requests = self._answers = False

    def deafen(self) -> None:
        self._requests, self._answers = True, False

    def heal(self) -> None:
        self._requests = self._answers = True
        for link in list(self._tainted):
            self._close(link)
        self._tainted.clear()

    def _close(self, link: tuple[asyncio.StreamWriter, asyncio.StreamWriter]) -> None:
        for writer in link:
            writer.close()
        self._links.discard(link)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*self._target)
        except OSError:
            client_w.close()
            return
        link = (client_w, server_w)
        self._links.add(link)
        await asyncio.gather(
            self._pump(client_r, server_w, link, requests=True),
            self._pump(server_r, client_w, link, requests=False),
            return_exceptions=True,
        )
        self._close(link)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
        *,
        requests: bool,
    ) -> None:
        while chunk := await reader.read(65536):
            if self._requests if requests else self._answers:
                writer.write(chunk)
                await writer.drain()
            else:
                self._tainted.add(link)  # dropped bytes: this connection can never be whole
        writer.close()


@dataclass
class ProxiedStack:
    """The API reaching Temporal through a `TcpProxy`; the worker and `direct` reach it straight."""

    stack: Stack
    proxy: TcpProxy
    direct: Client


@asynccontextmanager
async def stack_behind_proxy(
    settings: Settings, direct: Client, start_timeout_seconds: float = 2.0
) -> AsyncIterator[ProxiedStack]:
    """A manager (maria), a drafting clerk (carlos) and a firm, with the API's Temporal client
    behind a proxy, connected before the test stalls it (`/readyz` asks Temporal)."""
    host, port = settings.temporal_address.rsplit(":", 1)
    async with TcpProxy(host, int(port)) as proxy:
        through = settings.model_copy(
            update={
                "temporal_address": proxy.address,
                "start_timeout_seconds": start_timeout_seconds,
            }
        )
        async with running_worker(settings), running_api(through) as (http, temporal):
            stack = Stack(settings=through, http=http, temporal=temporal)
            await stack.add_user("maria", Role.MANAGER, ["drafting", "qc"])
            await stack.add_user("carlos", Role.CLERK, ["drafting"])
            stack.user_ids["firm"] = await stack.create_firm("maria")
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            yield ProxiedStack(stack, proxy, direct)
