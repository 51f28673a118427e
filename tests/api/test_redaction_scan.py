"""POST /redaction/scan: the FRCP 5.2(a) scan of a text, answering offsets and never values."""

from __future__ import annotations

from tests.harness import Stack

DECLARATION = (
    "Declaration of M. Ruiz\f"
    "1. My SSN is 123 45 6789 and my D.O.B. is March 5, 1990.\n"
    "2. The minor, Emily Stone, lives with me. Jacob Reed is her brother.\n"
    "3. Refunds went to account no. 1234-5678-90 and card 4111 1111 1111 1111.\n"
    "4. Claim No. 12-3456789; I was born in 1990; E.S., a minor."
)


async def test_the_scan_finds_every_5_2_identifier_with_its_page(stack: Stack) -> None:
    response = await stack.call(
        "POST",
        "/redaction/scan",
        "carlos",
        200,
        json={"text": DECLARATION, "minors": ["Jacob Reed"]},
    )
    body = response.json()
    shown = [(f["kind"], DECLARATION[f["start"] : f["end"]], f["page"]) for f in body["findings"]]
    assert shown == [
        ("ssn", "123 45 6789", 2),
        ("birth_date", "March 5, 1990", 2),
        ("minor_name", "Emily Stone", 2),
        ("minor_name", "Jacob Reed", 2),
        ("financial_account", "1234-5678-90", 2),
        ("card_number", "4111 1111 1111 1111", 2),
    ]
    assert body["count"] == 6
    for secret in ("6789", "1990", "Emily", "5678", "1111"):
        assert secret not in response.text  # offsets only: the answer never repeats a value


async def test_a_clean_text_has_no_findings_and_no_pages(stack: Stack) -> None:
    body = (
        await stack.call(
            "POST", "/redaction/scan", "paula", 200, json={"text": "SSN ending in 6789, born 1990"}
        )
    ).json()
    assert body == {"count": 0, "findings": []}


async def test_bad_scan_input_is_a_clear_422_and_no_token_is_a_401(stack: Stack) -> None:
    for body, field in (
        ({}, "text"),
        ({"text": "x", "minors": ["A"]}, "minors"),
        ({"text": "x", "extra": 1}, "extra"),
    ):
        response = await stack.call("POST", "/redaction/scan", "maria", 422, json=body)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text
    anonymous = await stack.http.post("/api/v1/redaction/scan", json={"text": "x"})
    assert anonymous.status_code == 401
