"""Alert and digest email by SMTP, from the same outbox as the webhook, at least once.

A message names what happened and carries ids and links into the console, never a matter
name, title, input or output: mailboxes sit outside the PHI boundary (HIPAA minimum necessary,
45 CFR 164.502(b), https://www.ecfr.gov/current/title-45/section-164.502). The person follows
the link and signs in to see the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from core.settings import Settings
from store.models import Notification
from store.repositories.email_alerts import Digest

SUBJECTS = {
    "sla.breached": "SLA breached",
    "sla.warning": "SLA at risk",
    "sla.escalated": "SLA escalation",
    "task.assigned": "A task was assigned to you",
    "approval.waiting": "An approval is waiting",
    "engagement.stuck": "An engagement is stuck",
}


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    body: str


def alert_mail(row: Notification, to: list[str], public_url: str) -> Mail:
    what = SUBJECTS.get(row.kind, row.kind)
    lines = [f"{what}.", "", f"Alert: {row.kind} #{row.id}", f"Firm: {row.firm_id}"]
    if row.engagement_id:
        lines.append(f"Engagement: {public_url}/console/engagements/{row.engagement_id}")
    if row.task_id:
        lines.append(f"Task: {public_url}/console/tasks/{row.task_id}")
    for key in ("step_id", "due_at", "fraction", "via"):
        if key in row.payload:
            lines.append(f"{key.replace('_', ' ').capitalize()}: {row.payload[key]}")
    lines += [
        "",
        "Sign in to see the work. Change which alerts you get: GET/PUT "
        f"{public_url}/api/v1/notifications/preferences",
    ]
    reference = row.task_id or row.engagement_id or row.id
    return Mail(to, f"[Docketflow] {what}: {reference}", "\n".join(lines) + "\n")


def digest_mail(digest: Digest, public_url: str, day: str) -> Mail:
    body = "\n".join(
        [
            f"Your firm's work on {day} (counts only; details in the console).",
            "",
            f"Open tasks: {digest.open_tasks}",
            f"At risk: {digest.at_risk}",
            f"Past due: {digest.breached}",
            f"Approvals waiting for a partner: {digest.approvals_waiting}",
            "",
            f"Firm dashboard: {public_url}/console/firm",
            f"Your approvals: {public_url}/console/work",
        ]
    )
    return Mail([digest.email], f"[Docketflow] Daily digest {day}", body + "\n")


class SmtpMailer:
    def __init__(self, settings: Settings, timeout: float = 15.0) -> None:
        assert settings.smtp_host is not None
        self._settings, self._timeout = settings, timeout

    async def send(self, mail: Mail) -> None:
        """Raises aiosmtplib.SMTPException (or OSError) when the server refuses or is down."""
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=self._timeout,
        )


def smtp_mailer(settings: Settings) -> SmtpMailer | None:
    return SmtpMailer(settings) if settings.smtp_host else None
