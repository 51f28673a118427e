"""Documents and their versions (metadata; the bytes are in the blob store, sealed)."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Document, DocumentVersion, Engagement
from store.scope import Scope


@dataclass(frozen=True)
class NewVersion:
    filename: str
    content_type: str
    size: int
    sha256: str
    pages: int | None
    address: str
    task_id: uuid.UUID | None
    step_id: str | None
    created_by: uuid.UUID | None


async def lock_address(session: AsyncSession, address: str) -> None:
    """Serialise writers and deleters of one blob address until the transaction ends: a delete
    cannot remove bytes that a version committed in parallel still points to."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(address.encode())}
    )


def _version_row(document_id: uuid.UUID, number: int, new: NewVersion) -> DocumentVersion:
    return DocumentVersion(
        document_id=document_id,
        version=number,
        filename=new.filename,
        content_type=new.content_type,
        size=new.size,
        sha256=new.sha256,
        pages=new.pages,
        address=new.address,
        task_id=new.task_id,
        step_id=new.step_id,
        created_by=new.created_by,
    )


async def create(
    session: AsyncSession,
    *,
    engagement_id: uuid.UUID,
    firm_id: uuid.UUID,
    title: str,
    kind: str,
    first: NewVersion,
    document_id: uuid.UUID | None = None,
) -> tuple[Document, DocumentVersion]:
    document = Document(
        id=document_id or uuid.uuid4(),
        engagement_id=engagement_id,
        firm_id=firm_id,
        title=title,
        kind=kind,
        current_version=1,
        created_by=first.created_by,
    )
    session.add(document)
    await session.flush()
    version = _version_row(document.id, 1, first)
    session.add(version)
    await session.flush()
    return document, version


async def add_version(
    session: AsyncSession, document: Document, new: NewVersion
) -> DocumentVersion:
    """The next version; the document row is locked, so parallel uploads number 2, 3, … in turn."""
    number = (
        await session.execute(
            update(Document)
            .where(Document.id == document.id)
            .values(current_version=Document.current_version + 1)
            .returning(Document.current_version)
        )
    ).scalar_one()
    version = _version_row(document.id, number, new)
    session.add(version)
    await session.flush()
    document.current_version = number
    return version


async def get(session: AsyncSession, document_id: uuid.UUID, scope: Scope) -> Document | None:
    return (
        await session.execute(
            select(Document).where(
                Document.id == document_id,
                Document.deleted_at.is_(None),
                scope.filter(Document.firm_id),
            )
        )
    ).scalar_one_or_none()


async def get_for_update(session: AsyncSession, document_id: uuid.UUID) -> Document | None:
    return (
        await session.execute(
            select(Document)
            .where(Document.id == document_id, Document.deleted_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()


async def versions(session: AsyncSession, document_id: uuid.UUID) -> Sequence[DocumentVersion]:
    return (
        (
            await session.execute(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == document_id)
                .order_by(DocumentVersion.version)
            )
        )
        .scalars()
        .all()
    )


async def version(
    session: AsyncSession, document_id: uuid.UUID, number: int
) -> DocumentVersion | None:
    return await session.get(DocumentVersion, (document_id, number))


async def for_engagement(
    session: AsyncSession, engagement_id: uuid.UUID
) -> Sequence[tuple[Document, DocumentVersion]]:
    """The engagement's documents, each with its current version, oldest first."""
    rows = await session.execute(
        select(Document, DocumentVersion)
        .join(
            DocumentVersion,
            (DocumentVersion.document_id == Document.id)
            & (DocumentVersion.version == Document.current_version),
        )
        .where(Document.engagement_id == engagement_id, Document.deleted_at.is_(None))
        .order_by(Document.created_at, Document.id)
    )
    return [(document, current) for document, current in rows.all()]


async def of_engagement(
    session: AsyncSession, engagement_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are live documents of this engagement (task outputs may name only those)."""
    if not ids:
        return set()
    rows = await session.execute(
        select(Document.id).where(
            Document.id.in_(list(ids)),
            Document.engagement_id == engagement_id,
            Document.deleted_at.is_(None),
        )
    )
    return set(rows.scalars())


async def address_in_use(session: AsyncSession, address: str) -> bool:
    """Whether any live document's version still points at these bytes."""
    found = await session.execute(
        select(
            exists()
            .where(DocumentVersion.address == address)
            .where(DocumentVersion.document_id == Document.id)
            .where(Document.deleted_at.is_(None))
        )
    )
    return bool(found.scalar())


async def mark_deleted(session: AsyncSession, document: Document, by: uuid.UUID) -> None:
    document.deleted_at = func.now()
    document.deleted_by = by
    await session.flush()


async def set_legal_hold(session: AsyncSession, engagement: Engagement, reason: str | None) -> None:
    engagement.legal_hold_since = func.now() if reason else None
    engagement.legal_hold_reason = reason
    await session.flush()


async def versions_added_since(
    session: AsyncSession, engagement_id: uuid.UUID, since: datetime
) -> list[tuple[str, int]]:
    """(title, version) of every live document version of the engagement uploaded after `since`."""
    rows = await session.execute(
        select(Document.title, DocumentVersion.version)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .where(
            Document.engagement_id == engagement_id,
            Document.deleted_at.is_(None),
            DocumentVersion.created_at > since,
        )
        .order_by(DocumentVersion.created_at)
    )
    return [(title, number) for title, number in rows.all()]
