"""Delivering e-mail: over SMTP when a host is set, else as .eml files for development.

A mail's outbox payload is {to, subject, text} and may carry `attachments`: a list of {path, filename,
content_type}, each a file under the data folder (`Settings.data_dir`; a relative path is taken from
there), read when the mail goes out. A file outside the data folder is refused: a payload names
files, and it must not be able to name any file of the machine.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from openkassa.config import Settings

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://\S+")


def build_message(settings: Settings, *, to: str, subject: str, text: str,
                  attachments: Iterable[dict] = ()) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="openkassa.local")
    message.set_content(text)
    for attachment in attachments:
        maintype, _, subtype = attachment.get("content_type", "application/octet-stream").partition("/")
        message.add_attachment(attachment_path(settings, attachment["path"]).read_bytes(), maintype=maintype,
                               subtype=subtype or "octet-stream", filename=attachment["filename"])
    return message


def attachment_path(settings: Settings, path: str) -> Path:
    """The file an attachment names: under the data folder, or refused."""
    folder = settings.data_dir.resolve()
    found = (folder / path).resolve()
    if not found.is_relative_to(folder):
        raise ValueError(f"an attachment must be a file under the data folder, not {path!r}")
    return found


def deliver(settings: Settings, payload: dict) -> None:
    """Send one mail described by an outbox payload {to, subject, text[, attachments]}."""
    message = build_message(settings, to=payload["to"], subject=payload["subject"], text=payload["text"],
                            attachments=payload.get("attachments") or ())
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
    partial = path.with_suffix(".part")  # renamed when whole: a reader never sees half a mail
    partial.write_bytes(message.as_bytes())
    partial.replace(path)
    if settings.env == "development":  # a developer follows the link from the log; nobody else may
        links = " ".join(_LINK.findall(payload["text"]))
        log.warning("mail to %s written to %s (no SMTP host set); links: %s", payload["to"], path, links)
    else:
        log.warning("mail to %s written to %s (no SMTP host set)", payload["to"], path)
