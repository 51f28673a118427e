"""Blobs in S3-compatible object storage (AWS S3, MinIO): the production backend.

boto3 is synchronous, so each call runs in a thread. Large blobs go up as a multipart upload in
parts of `part_size` bytes (S3 needs at least 5 MiB per part but the last), so memory stays at one
part however large the document; a failed upload is aborted, leaving no parts behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

from store.blobs import BlobMissingError, checked_address

_READ = 1 << 20
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "documents/",
        part_size: int = 8 << 20,
        client: Any = None,
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._part_size = max(part_size, 5 << 20)
        self._s3 = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    def _key(self, address: str) -> str:
        return self._prefix + checked_address(address)

    async def put(self, address: str, chunks: AsyncIterable[bytes]) -> None:
        key = self._key(address)
        part = bytearray()
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []
        try:
            async for chunk in chunks:
                part += chunk
                if len(part) >= self._part_size:
                    if upload_id is None:
                        upload_id = await self._start(key)
                    parts.append(await self._upload_part(key, upload_id, len(parts) + 1, part))
                    part = bytearray()
            if upload_id is None:
                await asyncio.to_thread(
                    self._s3.put_object, Bucket=self._bucket, Key=key, Body=bytes(part)
                )
                return
            if part:
                parts.append(await self._upload_part(key, upload_id, len(parts) + 1, part))
            await asyncio.to_thread(
                lambda: self._s3.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            )
        except BaseException:
            if upload_id is not None:
                await asyncio.to_thread(
                    self._s3.abort_multipart_upload,
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload_id,
                )
            raise

    async def _start(self, key: str) -> str:
        created = await asyncio.to_thread(
            self._s3.create_multipart_upload, Bucket=self._bucket, Key=key
        )
        upload_id: str = created["UploadId"]
        return upload_id

    async def _upload_part(
        self, key: str, upload_id: str, number: int, data: bytearray
    ) -> CompletedPartTypeDef:
        answer = await asyncio.to_thread(
            self._s3.upload_part,
            Bucket=self._bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=bytes(data),
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    async def get(self, address: str) -> AsyncIterator[bytes]:
        try:
            answer = await asyncio.to_thread(
                self._s3.get_object, Bucket=self._bucket, Key=self._key(address)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise BlobMissingError(address) from None
            raise
        body = answer["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, _READ):
                yield chunk
        finally:
            body.close()

    async def exists(self, address: str) -> bool:
        try:
            await asyncio.to_thread(
                self._s3.head_object, Bucket=self._bucket, Key=self._key(address)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    async def delete(self, address: str) -> None:
        await asyncio.to_thread(self._s3.delete_object, Bucket=self._bucket, Key=self._key(address))
