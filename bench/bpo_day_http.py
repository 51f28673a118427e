"""The simulated floor's HTTP client: one keep-alive HTTP/1.1 connection per simulated person.

The load generator shares the 2 cores with the stack it drives, so it must be cheap: it reuses
bench/claims.py's plain HTTP/1.1 protocol (httpx cost 2-3 ms of client CPU per request there)
and adds JSON and multipart bodies. A dropped connection is reopened on the next request.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from typing import Any

from bench.claims import HttpConnection


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]!r}")
        self.status = status


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Requests sent by every connection of this process, by method and route (ids and query left
# out): the API's CPU per engagement divides by these.
REQUESTS: Counter[str] = Counter()


class ApiConnection:
    """One person's connection to `/api/v1` with their bearer token."""

    def __init__(self, base: str, token: str = "") -> None:
        self.base = base
        self.host = base.removeprefix("http://")
        self.token = token
        self._connection: HttpConnection | None = None

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """(status, parsed JSON or None). The body is JSON unless `form` (raw bytes) is given."""
        REQUESTS[f"{method} {_ID.sub('{id}', path.split('?', 1)[0])}"] += 1
        payload = form if form is not None else b"" if body is None else json.dumps(body).encode()
        head = [f"{method} /api/v1{path} HTTP/1.1", f"host: {self.host}"]
        if self.token:
            head.append(f"authorization: Bearer {self.token}")
        if payload:
            head.append(f"content-type: {content_type}")
        head.append(f"content-length: {len(payload)}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = await HttpConnection.open(self.base)
            try:
                status, data = await self._connection.request(raw)
                break
            except ConnectionError:
                # Keep-alive closed by the server (idle timeout): reconnect once and resend.
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
        return status, (json.loads(data) if data else None)

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON of a 2xx answer; anything else raises ApiError."""
        status, data = await self.request(method, path, body)
        if status >= 300:
            raise ApiError(method, path, status, json.dumps(data).encode())
        return data

    async def upload(self, path: str, filename: str, content: bytes, fields: dict[str, str]) -> Any:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="{filename}"'
            "\r\ncontent-type: application/pdf\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, data = await self.request(
            "POST",
            path,
            form=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        if status >= 300:
            raise ApiError("POST", path, status, json.dumps(data).encode())
        return data

    async def form_login(self, username: str, password: str) -> None:
        """POST /auth/token (the OAuth2 password form); keeps the token for later requests."""
        form = f"username={username}&password={password}".encode()
        status, data = await self.request(
            "POST", "/auth/token", form=form, content_type="application/x-www-form-urlencoded"
        )
        if status != 200:
            raise ApiError("POST", "/auth/token", status, json.dumps(data).encode())
        self.token = str(data["access_token"])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
