"""Receiving a multipart upload as a stream: the file part goes straight to a private temporary
file (hashed and counted on the way), so a 200 MB document never sits in memory and is written
to disk once before it is sealed into the document store.

The temporary file is plaintext, created mode 0600 in `scratch` (the system temporary directory by
default, never the document store) and removed as soon as the request ends, whatever happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

_FIELD_LIMIT = 4096  # bytes of a non-file field (titles, kinds, ids)
_MAX_FIELDS = 8
_FLUSH = 1 << 20


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    declared_type: str
    size: int = 0
    sha256: str = ""


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None


def _bad(detail: str) -> HTTPException:
    return HTTPException(status_code=400, detail=detail)


class _Receiver:
    """Callbacks for python-multipart's streaming parser: one file part, a few small fields."""

    def __init__(self, scratch: Path) -> None:
        self.upload = Upload()
        self._scratch = scratch
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field: bytearray | None = None
        self._field_name = ""
        self._handle: IO[bytes] | None = None
        self._in_file = False  # the current part is the file (fields may come before or after)
        self._digest = hashlib.sha256()
        self.pending = bytearray()  # file bytes parsed but not yet written
        self.error: HTTPException | None = None

    def on_part_begin(self) -> None:
        self._headers = {}
        self._in_file = False
        self._field = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if name != "file" or self.upload.file is not None:
                self.error = _bad("send exactly one file, in the part named `file`")
                return
            filename = options[b"filename"].decode("utf-8", "replace")
            declared = self._headers.get(b"content-type", b"application/octet-stream")
            descriptor, path = tempfile.mkstemp(prefix="upload-", dir=self._scratch)
            self._handle = os.fdopen(descriptor, "wb")
            self._in_file = True
            self.upload.file = ReceivedFile(
                Path(path), os.path.basename(filename)[:255], declared.decode("latin-1")
            )
        else:
            if len(self.upload.fields) >= _MAX_FIELDS:
                self.error = _bad(f"at most {_MAX_FIELDS} form fields")
                return
            self._field, self._field_name = bytearray(), name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            piece = data[start:end]
            self._digest.update(piece)
            assert self.upload.file is not None
            self.upload.file.size += len(piece)
            self.pending += piece
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > _FIELD_LIMIT:
                self.error = _bad(f"form field {self._field_name!r} is over {_FIELD_LIMIT} bytes")

    def on_part_end(self) -> None:
        if self._in_file and self.upload.file is not None:
            self.upload.file.sha256 = self._digest.hexdigest()
            self._in_file = False
        elif self._field is not None:
            try:
                self.upload.fields[self._field_name] = self._field.decode("utf-8")
            except UnicodeDecodeError:
                self.error = _bad(f"form field {self._field_name!r} is not UTF-8")
            self._field = None

    def write_pending(self) -> None:
        if self._handle is not None and self.pending:
            self._handle.write(self.pending)
            self.pending.clear()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


@asynccontextmanager
async def receive_upload(request: Request, scratch: Path | None = None) -> AsyncIterator[Upload]:
    """Parse the request's multipart body; the temporary file is removed when the block ends.

    The body size limit is enforced as it streams, by api/middleware.py (413)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise HTTPException(status_code=415, detail="send the document as multipart/form-data")
    receiver = _Receiver(scratch or Path(tempfile.gettempdir()))
    parser = MultipartParser(
        options[b"boundary"],
        callbacks={
            "on_part_begin": receiver.on_part_begin,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
        },
    )
    try:
        try:
            async for chunk in request.stream():
                parser.write(chunk)
                if receiver.error:
                    raise receiver.error
                if len(receiver.pending) >= _FLUSH:
                    await asyncio.to_thread(receiver.write_pending)
            parser.finalize()
        except MultipartParseError as error:
            raise _bad(f"malformed multipart body: {error}") from None
        if receiver.error:
            raise receiver.error
        receiver.write_pending()
        receiver.close()
        yield receiver.upload
    finally:
        receiver.close()
        if receiver.upload.file is not None:
            receiver.upload.file.path.unlink(missing_ok=True)
