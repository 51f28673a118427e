"""Documents: upload, versions, download, deletion and legal holds.

Who may see an engagement's documents: managers, the engagement's firm partner, and a clerk only
while the engagement has a task they hold, completed or may work now (store/scope.py's one rule,
HIPAA minimum necessary, 45 CFR 164.502(b)); anyone else gets 404, as if the engagement did not
exist. Uploading as a clerk
needs a task of the engagement held now. Every upload, download and deletion is audited.

An upload is checked before anything is stored (documents/sniff.py): empty, not what it claims to
be, outside the allow-list, encrypted: a 4xx, and nothing is left behind.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from api.deps import Principal, SessionDep, SessionsDep, SettingsDep, require
from api.permissions import Permission
from api.schemas import Request as RequestBody
from api.uploads import ReceivedFile, receive_upload
from documents import sniff
from documents.errors import DocumentError
from domain.audit_detail import free_text
from domain.documents import DocumentKind
from domain.enums import Role, TaskStatus
from store.document_vault import DocumentUnreadableError, DocumentVault, address_of
from store.models import Document, DocumentVersion, Engagement
from store.repositories import audit, documents, engagements, tasks
from store.repositories.documents import NewVersion
from store.scope import ClerkWork, clerk_has_or_had_task, clerk_holds_task

router = APIRouter(tags=["documents"])
_F = TypeVar("_F", bound=RequestBody)
_U = TypeVar("_U", bound="NewVersionFields")

_MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"type": "string", "enum": [k.value for k in DocumentKind]},
                        "title": {"type": "string", "maxLength": 200},
                        "task_id": {"type": "string", "format": "uuid"},
                    },
                }
            }
        },
    }
}


class VersionOut(BaseModel):
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    pages: int | None
    task_id: uuid.UUID | None
    step_id: str | None
    created_by: uuid.UUID | None
    created_at: datetime


class DocumentOut(BaseModel):
    id: uuid.UUID
    engagement_id: uuid.UUID
    version: int
    title: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    pages: int | None
    created_by: uuid.UUID | None
    created_at: datetime


class DocumentDetail(DocumentOut):
    versions: list[VersionOut]


class NewVersionFields(RequestBody):
    task_id: uuid.UUID | None = None


class NewDocumentFields(NewVersionFields):
    kind: DocumentKind = DocumentKind.OTHER
    title: str | None = Field(default=None, min_length=1, max_length=200)


class LegalHoldIn(RequestBody):
    reason: str = Field(min_length=3, max_length=500)


class LegalHoldOut(BaseModel):
    engagement_id: uuid.UUID
    legal_hold_since: datetime | None
    legal_hold_reason: str | None


def _out(document: Document, version: DocumentVersion) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        engagement_id=document.engagement_id,
        version=version.version,
        title=document.title,
        kind=document.kind,
        filename=version.filename,
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
        pages=version.pages,
        created_by=version.created_by,
        created_at=version.created_at,
    )


def _version_out(version: DocumentVersion) -> VersionOut:
    return VersionOut.model_validate(version, from_attributes=True)


def _vault(request: Request) -> DocumentVault:
    vault: DocumentVault = request.app.state.documents
    return vault


_NOT_FOUND = HTTPException(status_code=404, detail="engagement not found")


async def _engagement_for(
    session: SessionDep, engagement_id: uuid.UUID, principal: Principal, *, upload: bool
) -> Engagement:
    engagement = await engagements.get(session, engagement_id, principal.scope)
    if engagement is None or engagement.started_at is None:
        raise _NOT_FOUND
    if principal.role == Role.CLERK:
        # The one minimum-necessary rule (store/scope.py); uploading needs a task held now.
        clerk = ClerkWork(principal.id, principal.skills)
        if upload:
            if not await clerk_holds_task(session, principal.id, engagement.id):
                raise _NOT_FOUND
        elif not await clerk_has_or_had_task(session, clerk, engagement.id):
            raise _NOT_FOUND
    return engagement


async def _document_for(
    session: SessionDep, document_id: uuid.UUID, principal: Principal, *, upload: bool
) -> tuple[Document, Engagement]:
    document = await documents.get(session, document_id, principal.scope)
    if document is None:
        raise HTTPException(status_code=404, detail="document not found")
    try:
        engagement = await _engagement_for(
            session, document.engagement_id, principal, upload=upload
        )
    except HTTPException:
        raise HTTPException(status_code=404, detail="document not found") from None
    return document, engagement


async def _held_task(
    session: SessionDep, task_id: uuid.UUID | None, engagement: Engagement, principal: Principal
) -> tuple[uuid.UUID | None, str | None]:
    """The task an upload is attached to: one of this engagement's, held by the caller now."""
    if task_id is None:
        return None, None
    task = await tasks.get(session, task_id, principal.scope)
    if task is None or task.engagement_id != engagement.id:
        raise HTTPException(status_code=404, detail="task not found in this engagement")
    if task.status != TaskStatus.CLAIMED or task.assignee_id != principal.id:
        raise HTTPException(status_code=409, detail="you do not hold this task: claim it first")
    return task.id, task.step_id


def _fields(model: type[_F], raw: dict[str, str]) -> _F:
    try:
        return model.model_validate({k: v for k, v in raw.items() if v != ""})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors()
        )
        raise HTTPException(status_code=422, detail=problems) from None


def _checked(received: ReceivedFile | None, limit: int) -> sniff.Identified:
    """What the upload really is, or the 4xx that says why it is refused."""
    if received is None:
        raise HTTPException(status_code=422, detail="no file: send it in the part named `file`")
    if received.size > limit:
        raise HTTPException(status_code=413, detail=f"the file is over {limit} bytes")
    try:
        return sniff.identify(received.path, received.filename, received.declared_type)
    except DocumentError as error:
        raise HTTPException(status_code=error.status, detail=error.detail) from None


async def _store(vault: DocumentVault, firm_id: uuid.UUID, received: ReceivedFile) -> str:
    """Seal the bytes into the blob store before any row names them."""
    address = address_of(str(firm_id), received.sha256)
    await vault.seal_file(address, received.path)
    return address


async def _keep_blob(
    session: SessionDep, vault: DocumentVault, address: str, received: ReceivedFile
) -> None:
    # Under the address lock: if a deletion removed these bytes since they were sealed, seal
    # them again, so the version committed below never points at nothing.
    await documents.lock_address(session, address)
    if not await vault.blobs.exists(address):
        await vault.seal_file(address, received.path)


@asynccontextmanager
async def _received_version(
    request: Request,
    model: type[_U],
    engagement: Engagement,
    principal: Principal,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> AsyncIterator[tuple[_U, NewVersion, ReceivedFile]]:
    """Receive, check and seal an upload (its temporary file lives for the block): the form's
    fields and the version row to record, which the caller commits under `_keep_blob`."""
    async with receive_upload(request) as upload:
        fields = _fields(model, upload.fields)
        identified = _checked(upload.file, settings.document_max_bytes)
        assert upload.file is not None
        received = upload.file
        async with sessions.begin() as session:
            task_id, step_id = await _held_task(session, fields.task_id, engagement, principal)
        address = await _store(_vault(request), engagement.firm_id, received)
        yield (
            fields,
            NewVersion(
                filename=received.filename or "document",
                content_type=str(identified.content_type),
                size=received.size,
                sha256=received.sha256,
                pages=identified.pages,
                address=address,
                task_id=task_id,
                step_id=step_id,
                created_by=principal.id,
            ),
            received,
        )


@router.post(
    "/engagements/{engagement_id}/documents",
    status_code=201,
    response_model=DocumentOut,
    openapi_extra=_MULTIPART,
)
async def upload_document(
    engagement_id: uuid.UUID,
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_WRITE))],
) -> DocumentOut:
    async with sessions() as session:  # who may, before a byte of the body is read
        engagement = await _engagement_for(session, engagement_id, principal, upload=True)
    upload = _received_version(
        request, NewDocumentFields, engagement, principal, sessions, settings
    )
    async with upload as (fields, new, received), sessions.begin() as session:
        await _keep_blob(session, _vault(request), new.address, received)
        document, version = await documents.create(
            session,
            engagement_id=engagement.id,
            firm_id=engagement.firm_id,
            title=fields.title or received.filename or "Untitled",
            kind=fields.kind,
            first=new,
        )
        await _audit_upload(session, principal, engagement, document, version)
        return _out(document, version)


@router.post(
    "/documents/{document_id}/versions",
    status_code=201,
    response_model=DocumentOut,
    openapi_extra=_MULTIPART,
)
async def upload_version(
    document_id: uuid.UUID,
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_WRITE))],
) -> DocumentOut:
    async with sessions() as session:
        document, engagement = await _document_for(session, document_id, principal, upload=True)
    upload = _received_version(request, NewVersionFields, engagement, principal, sessions, settings)
    async with upload as (_, new, received), sessions.begin() as session:
        await _keep_blob(session, _vault(request), new.address, received)
        locked = await documents.get_for_update(session, document.id)
        if locked is None:
            raise HTTPException(status_code=404, detail="document not found")
        version = await documents.add_version(session, locked, new)
        await _audit_upload(session, principal, engagement, locked, version)
        return _out(locked, version)


async def _audit_upload(
    session: SessionDep,
    principal: Principal,
    engagement: Engagement,
    document: Document,
    version: DocumentVersion,
) -> None:
    await audit.record(
        session,
        principal.audit_record(
            "document.uploaded",
            "document",
            str(document.id),
            firm_id=engagement.firm_id,
            engagement_id=engagement.id,
            detail={
                "version": version.version,
                "kind": document.kind,
                "size": version.size,
                "sha256": version.sha256,
                "content_type": version.content_type,
                "task_id": str(version.task_id) if version.task_id else None,
            },
        ),
    )


@router.get("/engagements/{engagement_id}/documents", response_model=list[DocumentOut])
async def list_documents(
    engagement_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_READ))],
) -> list[DocumentOut]:
    engagement = await _engagement_for(session, engagement_id, principal, upload=False)
    return [_out(d, v) for d, v in await documents.for_engagement(session, engagement.id)]


@router.get("/documents/{document_id}", response_model=DocumentDetail)
async def get_document(
    document_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_READ))],
) -> DocumentDetail:
    document, _ = await _document_for(session, document_id, principal, upload=False)
    history = await documents.versions(session, document.id)
    current = next(v for v in history if v.version == document.current_version)
    return DocumentDetail(
        **_out(document, current).model_dump(), versions=[_version_out(v) for v in history]
    )


def _disposition(kind: str, filename: str) -> str:
    # RFC 6266: an ASCII fallback and the exact UTF-8 name (RFC 8187).
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/documents/{document_id}/content")
async def download_document(
    document_id: uuid.UUID,
    request: Request,
    sessions: SessionsDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_READ))],
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> StreamingResponse:
    vault = _vault(request)
    async with sessions.begin() as session:
        document, engagement = await _document_for(session, document_id, principal, upload=False)
        wanted = await documents.version(session, document.id, version or document.current_version)
        if wanted is None:
            raise HTTPException(status_code=404, detail=f"document has no version {version}")
        stream = vault.open(wanted.address)
        try:  # open the first chunk before answering: a shredded key is a 410, not a cut body
            first = await anext(stream)
        except DocumentUnreadableError:
            raise HTTPException(
                status_code=410,
                detail="this document can no longer be read: its firm's data key was shredded",
            ) from None
        await audit.record(
            session,
            principal.audit_record(
                "document.downloaded",
                "document",
                str(document.id),
                firm_id=engagement.firm_id,
                engagement_id=engagement.id,
                detail={"version": wanted.version, "sha256": wanted.sha256},
            ),
        )

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for piece in stream:
            yield piece

    # PDFs open in the browser's viewer (QC and approvals preview them); anything else downloads.
    inline = wanted.content_type == "application/pdf"
    return StreamingResponse(
        body(),
        media_type=wanted.content_type,
        headers={
            "Content-Length": str(wanted.size),
            "Content-Disposition": _disposition(
                "inline" if inline else "attachment", wanted.filename
            ),
            "Cache-Control": "private, no-store",
            "ETag": f'"{wanted.sha256}"',
        },
    )


@router.delete("/documents/{document_id}", status_code=204)
async def delete_document(
    document_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.DOCUMENTS_DELETE))],
) -> None:
    """Retention: an admin removes a document and its bytes, unless its engagement is on hold."""
    vault = _vault(request)
    document = await documents.get_for_update(session, document_id)
    if document is None:
        raise HTTPException(status_code=404, detail="document not found")
    engagement = await engagements.get(session, document.engagement_id, principal.scope)
    assert engagement is not None
    if engagement.legal_hold_since is not None:
        raise HTTPException(
            status_code=409,
            detail="the engagement is under a legal hold: its documents cannot be deleted "
            f"({engagement.legal_hold_reason})",
        )
    history = await documents.versions(session, document.id)
    await documents.mark_deleted(session, document, principal.id)
    removed = 0
    for address in sorted({v.address for v in history}):
        await documents.lock_address(session, address)
        if not await documents.address_in_use(session, address):
            await vault.blobs.delete(address)
            removed += 1
    await audit.record(
        session,
        principal.audit_record(
            "document.deleted",
            "document",
            str(document.id),
            firm_id=document.firm_id,
            engagement_id=document.engagement_id,
            detail={"versions": len(history), "blobs_removed": removed},
        ),
    )


@router.put("/engagements/{engagement_id}/legal-hold", response_model=LegalHoldOut)
async def place_legal_hold(
    engagement_id: uuid.UUID,
    body: LegalHoldIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.LEGAL_HOLD))],
) -> LegalHoldOut:
    return await _set_hold(session, engagement_id, principal, body.reason)


@router.delete("/engagements/{engagement_id}/legal-hold", response_model=LegalHoldOut)
async def release_legal_hold(
    engagement_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require(Permission.LEGAL_HOLD))],
) -> LegalHoldOut:
    return await _set_hold(session, engagement_id, principal, None)


async def _set_hold(
    session: SessionDep, engagement_id: uuid.UUID, principal: Principal, reason: str | None
) -> LegalHoldOut:
    engagement = await engagements.get(session, engagement_id, principal.scope)
    if engagement is None or engagement.started_at is None:
        raise _NOT_FOUND
    await documents.set_legal_hold(session, engagement, reason)
    await audit.record(
        session,
        principal.audit_record(
            "engagement.legal_hold_placed" if reason else "engagement.legal_hold_released",
            "engagement",
            str(engagement.id),
            firm_id=engagement.firm_id,
            engagement_id=engagement.id,
            # The reason stays on the engagement; the unerasable log keeps its length only.
            detail=free_text("reason", reason),
        ),
    )
    await session.refresh(engagement)
    return LegalHoldOut(
        engagement_id=engagement.id,
        legal_hold_since=engagement.legal_hold_since,
        legal_hold_reason=engagement.legal_hold_reason,
    )
