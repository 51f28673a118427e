"""The e-mail triage classifier matches whole words and phrases, never substrings."""

from __future__ import annotations

import pytest

from activities.automated_steps import email_classify
from domain.messages import AutomatedStepInput

CASES = [
    # (subject and body, expected outcome, why)
    ("Motion for TRO filed this morning", "urgent", "TRO, the word"),
    ("Temporary restraining order: hearing set", "urgent", "hearing"),
    ("URGENT: call opposing counsel", "urgent", "urgent, any case"),
    ("Court order entered on the docket", "urgent", "the phrase court order"),
    ("Deadline to respond is Friday", "urgent", "deadline"),
    ("Electronic service of the amended complaint", "routine", "'tro' inside 'electronic'"),
    ("A short introduction to our new paralegal", "routine", "'tro' inside 'introduction'"),
    ("Please find the control copy attached", "routine", "'tro' inside 'control'"),
    ("Metro Hospital records are in", "routine", "'tro' inside 'Metro'"),
    ("Sanctionable conduct memo for the file", "routine", "'sanctionable' is not 'sanction'"),
    ("You are a winner! Claim your prize", "spam", "winner"),
    ("Click to unsubscribe from these offers", "spam", "unsubscribe"),
    ("Winnerman deposition transcript", "routine", "'winner' inside a surname"),
    ("Notes on cryptography expert fees", "routine", "'crypto' inside 'cryptography'"),
]


@pytest.mark.parametrize(("text", "expected", "why"), CASES)
def test_email_classifier_matches_words_not_substrings(text: str, expected: str, why: str) -> None:
    step = AutomatedStepInput(
        engagement_id="e",
        firm_id="f",
        step_id="classify",
        attempt_key="k",
        params={},
        inputs={"subject": text, "from": "clerk@example.com"},
        outputs={},
    )
    assert email_classify(step).outcome == expected, why
