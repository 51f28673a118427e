"""Automated steps that work on the engagement's real files, not on what a form says about them.

A step finds its documents through the earlier outputs (a `format: document` field holds a
document id), opens each version to a private temporary file for as long as the step needs it,
and records what it produced as new documents of the engagement (`created_by` null, its step id).
Text extracted from a version is kept sealed next to it (`<address>.text`), so a retried step or a
later scan does not read and OCR the same pages again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.automated_steps import exhibit_stamp as stamp_from_form
from activities.automated_steps import invoice_generate as invoice_from_form
from activities.automated_steps import minor_names
from activities.automated_steps import redaction_scan as scan_form_fields
from documents.bates import stamp_set
from documents.content_types import ContentType
from documents.exhibits import Exhibit, compile_bundle
from documents.sniff import identify
from documents.text import PageText, extract_text
from domain.documents import DocumentKind
from domain.filing_exemptions import ClaimError, claim_in
from domain.messages import AutomatedStepInput, AutomatedStepResult
from domain.redaction import scan_text
from store.db import SessionFactory
from store.document_vault import DocumentVault, address_of
from store.models import Document, DocumentVersion
from store.repositories import audit, documents, tasks
from store.repositories.audit import AuditRecord
from store.repositories.documents import NewVersion

_TEXT = "text"
PDF = "application/pdf"


@dataclass(frozen=True)
class NamedDocument:
    document: Document
    version: DocumentVersion


def _uuid_strings(value: Any) -> Iterator[uuid.UUID]:
    if isinstance(value, str):
        try:
            yield uuid.UUID(value)
        except ValueError:
            return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _uuid_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uuid_strings(item)


class DocumentSteps:
    def __init__(self, sessions: SessionFactory, vault: DocumentVault) -> None:
        self._sessions = sessions
        self._vault = vault

    async def named(self, step: AutomatedStepInput) -> list[NamedDocument]:
        """The live documents of this engagement that earlier outputs name, current versions."""
        ids = set(_uuid_strings(step.outputs))
        engagement_id = uuid.UUID(step.engagement_id)
        async with self._sessions() as session:
            found = await documents.of_engagement(session, engagement_id, ids)
            rows = await documents.for_engagement(session, engagement_id)
        return [NamedDocument(d, v) for d, v in rows if d.id in found]

    async def approved_versions(self, engagement_id: uuid.UUID) -> dict[uuid.UUID, int]:
        """What the engagement's latest approval pinned: document id -> approved version."""
        async with self._sessions() as session:
            approval = await tasks.latest_approval(session, engagement_id)
        pins = (approval.approved_versions if approval else None) or []
        return {uuid.UUID(p["document_id"]): int(p["version"]) for p in pins}

    async def version(self, document_id: uuid.UUID, number: int) -> DocumentVersion:
        async with self._sessions() as session:
            found = await documents.version(session, document_id, number)
        if found is None:  # versions are never deleted (every one is kept byte for byte)
            raise LookupError(f"document {document_id} has no version {number}")
        return found

    @asynccontextmanager
    async def local_copy(self, version: DocumentVersion) -> AsyncIterator[Path]:
        """The version's plaintext in a private temporary file, removed when the block ends."""
        with tempfile.TemporaryDirectory(prefix="docketflow-step-") as scratch:
            path = Path(scratch) / "document"
            await self._vault.open_to_file(version.address, path)
            yield path

    async def pages(self, version: DocumentVersion) -> list[PageText]:
        """Text per page (text layer, else OCR), extracted once and kept sealed."""
        cached = version.address + "." + _TEXT
        if await self._vault.blobs.exists(cached):
            return [PageText(**p) for p in json.loads(await self._vault.read_bytes(cached))]
        async with self.local_copy(version) as path:
            pages = await asyncio.to_thread(extract_text, path, ContentType(version.content_type))
        payload = [{"page": p.page, "text": p.text, "ocr": p.ocr} for p in pages]
        await self._vault.seal_bytes(cached, json.dumps(payload).encode())
        return pages

    async def produce(
        self,
        step: AutomatedStepInput,
        *,
        path: Path,
        filename: str,
        title: str,
        kind: str,
        content_type: str,
        sha256: str,
        pages: int | None,
    ) -> uuid.UUID:
        """Record a file the step made as a new document of the engagement (idempotent per
        attempt: a retried step finds the document its first try recorded)."""
        size = (await asyncio.to_thread(path.stat)).st_size
        address = address_of(step.firm_id, sha256)
        await self._vault.seal_file(address, path)
        engagement_id = uuid.UUID(step.engagement_id)
        document_id = uuid.uuid5(uuid.UUID(int=0), f"{step.attempt_key}:{filename}")
        async with self._sessions.begin() as session:
            await documents.lock_address(session, address)
            existing = await session.get(Document, document_id)
            if existing is not None:
                return existing.id
            document, _ = await documents.create(
                session,
                engagement_id=engagement_id,
                firm_id=uuid.UUID(step.firm_id),
                title=title,
                kind=kind,
                document_id=document_id,
                first=NewVersion(
                    filename=filename,
                    content_type=content_type,
                    size=size,
                    sha256=sha256,
                    pages=pages,
                    address=address,
                    task_id=None,
                    step_id=step.step_id,
                    created_by=None,
                ),
            )
        return document.id

    async def _findings(
        self, step: AutomatedStepInput, skip: frozenset[uuid.UUID] = frozenset()
    ) -> list[dict[str, Any]]:
        """FRCP 5.2(a) over the form fields and every page of every named document but `skip`."""
        fields = scan_form_fields(step)
        findings: list[dict[str, Any]] = list(fields.detail.get("findings", []))
        minors = minor_names(step.inputs)
        for named in await self.named(step):
            if named.document.id in skip:
                continue
            for page in await self.pages(named.version):
                findings.extend(
                    {
                        "kind": f.kind,
                        "document_id": str(named.document.id),
                        "title": named.document.title,
                        "version": named.version.version,
                        "page": page.page,
                        "start": f.start,
                        "end": f.end,
                    }
                    for f in scan_text(page.text, minors)
                )
        return findings

    @activity.defn(name="redaction_scan")
    async def redaction_scan(self, step: AutomatedStepInput) -> AutomatedStepResult:
        """FRCP 5.2(a) over the form fields and every page of every named document; a finding
        says where (document, version, page, offsets) and what kind, never the identifier."""
        findings = await self._findings(step)
        if not findings:
            return AutomatedStepResult(outcome="clean", detail={"count": 0})
        return AutomatedStepResult(outcome="flagged", detail=_flagged(findings))

    @activity.defn(name="filing_redaction_scan")
    async def filing_redaction_scan(self, step: AutomatedStepInput) -> AutomatedStepResult:
        """The FRCP 5.2(a) scan of a court filing whose drafter may claim an FRCP 5.2(b), (d),
        (f) or (h) route (domain.filing_exemptions): a claim goes to an attorney
        (`exemption_claimed`) with the findings it covers; a finding it does not cover (an SSN
        beside a 5.2(b)(1) forfeiture account, anything in a 5.2(f) public copy) is flagged."""
        drafted = step.outputs.get(str(step.params.get("claims_from", "draft")), {})
        try:
            claim = claim_in(drafted)
        except ClaimError as error:
            return AutomatedStepResult(
                outcome="flagged", detail={"count": 0, "exemption_refused": str(error)}
            )
        # 5.2(f): the unredacted copy keeps its identifiers by design; it is filed under seal.
        skip = frozenset(_uuid_strings(claim.unredacted_copy)) if claim else frozenset()
        findings = await self._findings(step, skip)
        if claim is None:
            if not findings:
                return AutomatedStepResult(outcome="clean", detail={"count": 0})
            return AutomatedStepResult(outcome="flagged", detail=_flagged(findings))
        exemption = claim.audited()
        uncovered = [f for f in findings if not claim.rule.covers(f["kind"])]
        if uncovered:
            detail = _flagged(uncovered)
            detail["exemption"] = exemption | {"covers_findings": False}
            return AutomatedStepResult(outcome="flagged", detail=detail)
        await self._audit_claim(step, exemption, findings)
        return AutomatedStepResult(
            outcome="exemption_claimed",
            detail={"exemption": exemption, **(_flagged(findings) if findings else {"count": 0})},
        )

    async def _audit_claim(
        self, step: AutomatedStepInput, exemption: dict[str, Any], findings: list[dict[str, Any]]
    ) -> None:
        kinds: dict[str, int] = {}
        for finding in findings:
            kinds[finding["kind"]] = kinds.get(finding["kind"], 0) + 1
        async with self._sessions.begin() as session:
            await audit.record(
                session,
                AuditRecord(
                    action="filing.exemption_claimed",
                    object_type="engagement",
                    object_id=step.engagement_id,
                    engagement_id=uuid.UUID(step.engagement_id),
                    firm_id=uuid.UUID(step.firm_id),
                    detail={"step_id": step.step_id, **exemption, "finding_kinds": kinds},
                    dedupe_key=f"{step.attempt_key}:exemption_claimed",
                ),
            )

    @activity.defn(name="exhibit_stamp")
    async def exhibit_stamp(self, step: AutomatedStepInput) -> AutomatedStepResult:
        """Exhibit labels: one bundle PDF (index, a slip sheet per exhibit, the exhibits) as a new
        document. Bates: each named PDF stamped on every page, numbered on across the set, each
        stamped copy a new document. Without named documents, the form-only step answers."""
        named = [n for n in await self.named(step) if n.version.content_type == PDF]
        if not named:
            return stamp_from_form(step)
        with tempfile.TemporaryDirectory(prefix="docketflow-stamp-") as scratch:
            sources = []
            for number, item in enumerate(named):
                path = Path(scratch) / f"in-{number}.pdf"
                await self._vault.open_to_file(item.version.address, path)
                sources.append(path)
            if step.params.get("mode") == "exhibit_labels":
                return await self._bundle(step, named, sources, Path(scratch))
            return await self._bates(step, named, sources, Path(scratch))

    async def _bundle(
        self,
        step: AutomatedStepInput,
        named: list[NamedDocument],
        sources: list[Path],
        scratch: Path,
    ) -> AutomatedStepResult:
        described = _exhibit_rows(step.outputs)
        exhibits = []
        for item, source in zip(named, sources, strict=True):
            row = described.get(str(item.document.id), {})
            title = str(row.get("description") or item.document.title)
            label = row.get("label")
            exhibits.append(Exhibit(source=source, title=title, label=_short_label(label)))
        output = scratch / "bundle.pdf"
        index = await asyncio.to_thread(compile_bundle, exhibits, output)
        document_id = await self._produce_file(
            step, output, "exhibit-bundle.pdf", "Exhibit bundle", DocumentKind.EXHIBIT_BUNDLE
        )
        return AutomatedStepResult(
            outcome="stamped",
            detail={
                "mode": "exhibit_labels",
                "bundle_document_id": str(document_id),
                "index": [e.model_dump() for e in index],
            },
        )

    async def _bates(
        self,
        step: AutomatedStepInput,
        named: list[NamedDocument],
        sources: list[Path],
        scratch: Path,
    ) -> AutomatedStepResult:
        prefix = str(step.params.get("prefix", "DF"))
        start = int(step.params.get("start", 1))
        jobs = [(source, scratch / f"stamped-{n}.pdf") for n, source in enumerate(sources)]
        ranges = await asyncio.to_thread(stamp_set, jobs, prefix=prefix, start=start)
        produced = []
        for item, stamped in zip(named, ranges, strict=True):
            document_id = await self._produce_file(
                step,
                stamped.output,
                f"{stamped.first}-{stamped.last}.pdf",
                f"{item.document.title} ({stamped.first} to {stamped.last})",
                DocumentKind.STAMPED,
            )
            produced.append(
                {"document_id": str(document_id), "first": stamped.first, "last": stamped.last}
            )
        return AutomatedStepResult(
            outcome="stamped",
            detail={
                "mode": "bates",
                "first": ranges[0].first,
                "last": ranges[-1].last,
                "documents": produced,
            },
        )

    @activity.defn(name="invoice_generate")
    async def invoice_generate(self, step: AutomatedStepInput) -> AutomatedStepResult:
        """The LEDES 1998B file (domain.ledes via the form step), kept as a document of the
        engagement instead of text in the timeline."""
        result = invoice_from_form(step)
        text = result.detail.pop("file", None)
        if not isinstance(text, str):
            return result
        with tempfile.TemporaryDirectory(prefix="docketflow-ledes-") as scratch:
            path = Path(scratch) / "invoice.txt"
            await asyncio.to_thread(path.write_text, text, "utf-8")
            number = str(
                result.detail.get("invoice_number") or step.inputs.get("invoice_number") or ""
            )
            filename = f"LEDES1998B-{number or 'invoice'}.txt"
            document_id = await self._produce_file(
                step, path, filename, f"LEDES 1998B invoice {number}".strip(), DocumentKind.INVOICE
            )
        result.detail["document_id"] = str(document_id)
        return result

    async def _produce_file(
        self, step: AutomatedStepInput, path: Path, filename: str, title: str, kind: str
    ) -> uuid.UUID:
        identified = await asyncio.to_thread(identify, path, filename)
        digest = await asyncio.to_thread(sha256_of, path)
        return await self.produce(
            step,
            path=path,
            filename=filename,
            title=title,
            kind=kind,
            content_type=str(identified.content_type),
            sha256=digest,
            pages=identified.pages,
        )


def _flagged(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Where each finding is (kind, page, document, version), never the identifier itself."""
    where = sorted(
        {
            f"{f['kind']} on page {f['page']} of {f['title']!r} (v{f['version']})"
            for f in findings
            if "page" in f
        }
    )
    return {"findings": findings[:50], "count": len(findings), "where": where[:20]}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def _exhibit_rows(outputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The assembling step's rows (label, description) by the document each names."""
    rows: dict[str, dict[str, Any]] = {}
    for output in outputs.values():
        for row in output.get("exhibits", []) if isinstance(output, dict) else []:
            if isinstance(row, dict) and isinstance(row.get("document"), str):
                rows[row["document"]] = row
    return rows


def _short_label(label: object) -> str | None:
    # "Exhibit A" -> "A": the slip sheet prints "EXHIBIT" itself.
    if not isinstance(label, str) or not label.strip():
        return None
    return label.strip().removeprefix("Exhibit ").removeprefix("EXHIBIT ")[:12]
