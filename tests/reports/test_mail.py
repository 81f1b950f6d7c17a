"""A built report is mailed with its file attached: through a real SMTP server (aiosmtpd), or as an .eml
file when no SMTP host is set; a file too large to attach comes as a link."""

from __future__ import annotations

import email
import email.policy
import io
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from openkassa.jobs import mail
from openkassa.jobs.service import run_due
from openkassa.reports import service

pytestmark = pytest.mark.slow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def the_attachment(message: EmailMessage) -> tuple[str, str, bytes]:
    [part] = list(message.iter_attachments())
    return part.get_filename(), part.get_content_type(), part.get_content()


def test_the_report_arrives_by_smtp_with_its_file_attached(shop, owner, db, settings, smtp):
    # given an SMTP server, and a report of the shop's day asked for another address
    inbox, port = smtp
    smtp_settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    day = shop.day.isoformat()
    assert owner.submit("/reports", {"period": "custom", "start": day, "end": day, "scope": "chosen",
                                     "points[]": shop.point["id"], "email": "Buh@Shop.ru"}).status_code == 303

    # when the worker runs: it builds the report, then sends its mail
    run_due(db, smtp_settings)

    # then one mail arrived, to the accountant, with the report's file attached
    [(recipients, message)] = [(to, message) for to, message in inbox.received if "buh@shop.ru" in to]
    assert recipients == ["buh@shop.ru"]
    assert message["Subject"] == f"Sales report for {day}"
    body = message.get_body(("plain",)).get_content()
    assert "The sales report for" in body and "http://testserver/reports" in body
    name, content_type, content = the_attachment(message)
    assert (name, content_type) == (f"Sales report {day}.xlsx", XLSX)
    report = owner.get("/api/v1/reports").json()["reports"][0]
    assert content == owner.get(report["file_url"]).content
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Summary", "Sales and returns", "Online sales", "Corrections", "Cash drawer operations"]
    assert book["Sales and returns"].max_row == 5


def test_a_russian_speaker_gets_a_russian_mail_and_file(shop, new_browser, db, settings, smtp):
    from support import sign_in

    inbox, port = smtp
    owner = sign_in(new_browser("ru"), "owner@shop.ru")
    day = shop.day.isoformat()
    owner.submit("/reports", {"period": "custom", "start": day, "end": day, "scope": "all", "email": "owner@shop.ru"})
    run_due(db, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port}))
    [message] = [message for to, message in inbox.received if "Отчёт" in message["Subject"]]
    russian_day = shop.day.strftime("%d.%m.%Y")
    assert message["Subject"] == f"Отчёт по продажам за {russian_day}"
    name, _type, content = the_attachment(message)
    assert name == f"Отчёт по продажам {russian_day}.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(content)).sheetnames[0] == "Сводка"


def test_a_file_too_large_to_attach_comes_as_a_link(shop, owner, db, settings, smtp, monkeypatch):
    inbox, port = smtp
    monkeypatch.setattr(service, "MAIL_ATTACHMENT_BYTES", 1000)
    day = shop.day.isoformat()
    owner.submit("/reports", {"period": "custom", "start": day, "end": day, "scope": "all", "email": "owner@shop.ru"})
    run_due(db, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port}))
    [message] = [message for to, message in inbox.received if "report" in message["Subject"]]
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",)).get_content()
    assert "too large to attach" in body and "http://testserver/reports" in body


def test_without_smtp_the_mail_and_its_attachment_are_an_eml_file(shop, owner, db, settings, tmp_path):
    # given a development setup with no SMTP server
    development = settings.model_copy(update={"smtp_host": "", "data_dir": tmp_path})
    day = shop.day.isoformat()
    owner.submit("/reports", {"period": "custom", "start": day, "end": day, "scope": "all", "email": "owner@shop.ru"})

    # when the worker runs
    run_due(db, development)

    # then the report's mail is a file a developer can open, with the workbook in it
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in (tmp_path / "outbox").glob("*.eml")]
    [message] = [message for message in messages if "report" in message["Subject"]]
    name, content_type, content = the_attachment(message)
    assert content_type == XLSX and name.endswith(".xlsx")
    assert openpyxl.load_workbook(io.BytesIO(content))["Sales and returns"].max_row == 5


def test_an_attachment_outside_the_data_folder_is_refused(settings, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for path in (str(outside), "../secret.txt", "/etc/passwd"):
        with pytest.raises(ValueError, match="under the data folder"):
            mail.build_message(settings.model_copy(update={"data_dir": tmp_path / "var"}), to="a@b.ru", subject="x",
                               text="x", attachments=[{"path": path, "filename": "x.txt", "content_type": "text/plain"}])
