"""The e-discovery production step: the documents a reviewer assembled become one volume.

The volume is what a receiving party loads into its review platform (documents/production.py):
one Bates-stamped single-page PDF per page, the text of every document, natives for files without
fixed pages, and the DAT/OPT load files, zipped and recorded as a `production` document of the
engagement. The attorney approves that file, not a description of it (FRCP 34(b)(2)(E): produce
as kept in the usual course or in a reasonably usable form; the ESI protocol fixes the load
format).
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.document_steps import DocumentSteps, NamedDocument, sha256_of
from documents.content_types import ContentType
from documents.production import ProducedDocument, ProductionVolume, build_volume
from domain.documents import DocumentKind
from domain.messages import AutomatedStepInput, AutomatedStepResult

ZIP = "application/zip"
DEFAULT_PREFIX = "PROD"


@dataclass(frozen=True)
class ProductionRow:
    """One line of the reviewer's production list."""

    document_id: str
    custodian: str
    family: str | None


def production_rows(outputs: dict[str, dict[str, Any]]) -> list[ProductionRow]:
    """The assembled `production` list, each document once (the first mention wins), with every
    family kept together in the order its first member appears: load files require a family's
    documents to be contiguous (BEGATTACH..ENDATTACH is one Bates range)."""
    rows: list[ProductionRow] = []
    seen: set[str] = set()
    for output in outputs.values():
        for row in output.get("production", []) if isinstance(output, dict) else []:
            if not isinstance(row, dict) or not isinstance(row.get("document"), str):
                continue
            if row["document"] in seen:
                continue
            seen.add(row["document"])
            family = row.get("family")
            rows.append(
                ProductionRow(
                    document_id=row["document"],
                    custodian=str(row.get("custodian") or ""),
                    family=family if isinstance(family, str) and family else None,
                )
            )
    groups: dict[str, list[ProductionRow]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(row.family or f"\0{index}", []).append(row)
    return [row for group in groups.values() for row in group]


class ProductionSteps:
    def __init__(self, documents: DocumentSteps) -> None:
        self._documents = documents

    @activity.defn(name="production_volume")
    async def production_volume(self, step: AutomatedStepInput) -> AutomatedStepResult:
        rows = production_rows(step.outputs)
        named = {str(n.document.id): n for n in await self._documents.named(step)}
        listed = [(row, named[row.document_id]) for row in rows if row.document_id in named]
        if not listed:
            return AutomatedStepResult(outcome="built", detail={"documents": 0})
        prefix = str(step.inputs.get("bates_prefix") or step.params.get("prefix", DEFAULT_PREFIX))
        volume_name = str(step.params.get("volume", "VOL001"))
        async with AsyncExitStack() as copies:
            produced = [
                _produced(
                    row,
                    item,
                    await copies.enter_async_context(self._documents.local_copy(item.version)),
                )
                for row, item in listed
            ]
            work = Path(
                copies.enter_context(tempfile.TemporaryDirectory(prefix="docketflow-production-"))
            )
            volume = await asyncio.to_thread(
                build_volume, produced, work / "out", prefix=prefix, volume=volume_name
            )
            archive = work / f"{volume_name}.zip"
            await asyncio.to_thread(_zip, volume, archive)
            document_id = await self._documents.produce(
                step,
                path=archive,
                filename=f"{prefix}-{volume_name}.zip",
                title=f"Production {volume_name} ({volume.records[0].begbates} to "
                f"{volume.records[-1].endbates})",
                kind=DocumentKind.PRODUCTION,
                content_type=ZIP,
                sha256=await asyncio.to_thread(sha256_of, archive),
                pages=None,
            )
        return AutomatedStepResult(
            outcome="built",
            detail={
                "volume": volume_name,
                "document_id": str(document_id),
                "documents": len(volume.records),
                "pages": sum(r.pages for r in volume.records),
                "first": volume.records[0].begbates,
                "last": volume.records[-1].endbates,
                "records": [
                    {"document_id": row.document_id, "first": r.begbates, "last": r.endbates}
                    for (row, _), r in zip(listed, volume.records, strict=True)
                ],
            },
        )


def _produced(row: ProductionRow, item: NamedDocument, source: Path) -> ProducedDocument:
    return ProducedDocument(
        source=source,
        content_type=ContentType(item.version.content_type),
        filename=item.version.filename,
        title=item.document.title,
        custodian=row.custodian,
        family=row.family,
    )


def _zip(volume: ProductionVolume, archive: Path) -> None:
    """The volume folder as one archive, entries in path order (VOL001/DATA/VOL001.dat, ...)."""
    base = volume.root.parent
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path in sorted(p for p in volume.root.rglob("*") if p.is_file()):
            out.write(path, path.relative_to(base).as_posix())
