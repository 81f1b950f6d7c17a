"""Delivering e-mail: over SMTP when a host is set, else as .eml files for development."""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from openkassa.config import Settings

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://\S+")


def build_message(settings: Settings, *, to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="openkassa.local")
    message.set_content(text)
    return message


def deliver(settings: Settings, payload: dict) -> None:
    """Send one mail described by an outbox payload {to, subject, text}."""
    message = build_message(settings, to=payload["to"], subject=payload["subject"], text=payload["text"])
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
        log.info("mail sent to %s: %s", payload["to"], payload["subject"])
        return
    # Development: no SMTP server, so keep the mail where a developer can open it.
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    name = message["Message-ID"].strip("<>").replace("@", "_")
    path = settings.outbox_dir / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    if settings.env == "development":  # a developer follows the link from the log; nobody else may
        links = " ".join(_LINK.findall(payload["text"]))
        log.warning("mail to %s written to %s (no SMTP host set); links: %s", payload["to"], path, links)
    else:
        log.warning("mail to %s written to %s (no SMTP host set)", payload["to"], path)
