"""LEDES 1998B invoice files from an invoice given field by field (domain.ledes)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import PlainTextResponse

from api.deps import Principal, require
from api.permissions import Permission
from domain.ledes import LedesError, LedesInvoice, render

router = APIRouter(prefix="/billing", tags=["billing"])


@router.post(
    "/ledes1998b",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "the LEDES 1998B file"}},
)
async def ledes_1998b(
    invoice: LedesInvoice,
    _: Annotated[Principal, Depends(require(Permission.BILLING_LEDES))],
) -> PlainTextResponse:
    """The invoice as a LEDES 1998B file: `LEDES1998B[]`, the 24 field names, one line per item.

    Field names are the spec's in lower case (`exp/fee/inv_adj_type` keeps its slashes); the
    server computes LINE_ITEM_TOTAL and INVOICE_TOTAL. A code outside the UTBMS litigation set,
    A101-A111 or E101-E124, a line dated outside the billing period or a missing LAW_FIRM_ID is a
    422 naming the line. Nothing is stored.
    """
    try:
        text = render(invoice)
    except LedesError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", invoice.invoice_number) + ".txt"
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
