"""A small HTTP/1.1 client for Caddy's admin API, over any byte stream (h11, sans-IO).

The stream is opened by a callable, so the same client talks to a local unix socket in tests
and to the server's socket through the SSH connection (direct-streamlocal) in a deploy.
One request per stream (`Connection: close`): the admin API is called a few times per deploy.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import h11

from dockyard.errors import DockyardError, HostUnreachable, SshError
from dockyard.facts.caddy import UpstreamLoad, parse_upstreams
from dockyard.workflows.http import OpenStream, Response, exchange


class ProxyAdminError(DockyardError):
    """Caddy's admin API refused a request or could not be reached."""


class CaddyAdmin:
    def __init__(self, open_stream: OpenStream, *, where: str, timeout: float = 30.0) -> None:
        self._open = open_stream
        self._where = where
        self._timeout = timeout

    async def load(self, config: Any) -> None:
        """Replace the whole config atomically; Caddy keeps the old one if the new one fails."""
        body = json.dumps(config, separators=(",", ":")).encode()
        await self._checked("POST", "/load", body)

    async def config(self) -> Any:
        return json.loads((await self._checked("GET", "/config/")).body or b"null")

    async def wait_answering(self, timeout: float) -> None:
        """Until Caddy answers on its admin socket (a container just started); after timeout
        seconds, the last error."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.config()
                return
            except ProxyAdminError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.1)

    async def upstreams(self) -> dict[str, UpstreamLoad]:
        """What each upstream has in flight, and its recent failed attempts."""
        return parse_upstreams((await self._checked("GET", "/reverse_proxy/upstreams")).body)

    async def _checked(self, method: str, path: str, body: bytes = b"") -> Response:
        try:
            response = await asyncio.wait_for(
                self.request(method, path, body), timeout=self._timeout
            )
        except HostUnreachable:  # the host, not the proxy: said as it is
            raise
        except (OSError, SshError, h11.ProtocolError, TimeoutError) as error:
            if isinstance(error, TimeoutError):
                why = f"no answer within {self._timeout:g}s"
            else:
                why = str(error) or type(error).__name__
            raise ProxyAdminError(
                f"{self._where}: the proxy's admin API did not answer {method} {path} ({why}); "
                "is the proxy running? try `dockyard proxy boot`"
            ) from error
        if response.status >= 300:
            message = _error_message(response.body)
            raise ProxyAdminError(
                f"{self._where}: the proxy refused {method} {path} ({response.status}): {message}"
            )
        return response

    async def request(self, method: str, path: str, body: bytes = b"") -> Response:
        reader, writer = await self._open()
        try:
            return await exchange(reader, writer, method, path, body)
        finally:
            writer.close()


def _error_message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error", "")).strip() or body.decode(errors="replace")
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip()[:300]
