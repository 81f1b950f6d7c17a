"""E-mail leaves through the outbox: the worker delivers it over SMTP, retries, and never sends twice."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from openkassa.db import utcnow
from openkassa.jobs.models import OutboxJob
from openkassa.jobs.service import MAX_ATTEMPTS, enqueue_email, run_due
from support import LINK

pytestmark = pytest.mark.slow

SIGN_UP = {
    "company_name": "ИП Иванов", "name": "Иван", "phone": "+7 900 123-45-67",
    "email": "ivan@shop.ru", "password": "long enough pw",
}


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt_tos, message in self.received if address in rcpt_tos]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be started late (to test retries)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An SMTP server, not yet listening: call start()."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp: SmtpServer):
    """The worker's settings: mail goes to the test SMTP server."""
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})


def email_jobs(db) -> list[OutboxJob]:
    with db.transaction() as session:
        return list(session.scalars(select(OutboxJob).where(OutboxJob.kind == "email")))


def make_due(db) -> None:
    """Let the clock run past every back-off."""
    with db.transaction() as session:
        session.execute(update(OutboxJob).values(run_after=utcnow() - timedelta(seconds=1)))


def test_confirmation_mail_arrives_over_smtp_and_its_link_confirms(browser, db, smtp, smtp_settings):
    # given an SMTP server and a visitor who signs up through the form
    smtp.start()
    assert browser.submit("/signup", SIGN_UP).status_code == 200

    # when the worker runs
    assert run_due(db, smtp_settings) == 1

    # then one mail arrived, to her, with a subject and the confirmation link to our site
    [mail] = smtp.inbox.to("ivan@shop.ru")
    assert mail["To"] == "ivan@shop.ru"
    assert mail["Subject"] == "Confirm your e-mail for OpenKassa"
    body = mail.get_body(("plain",)).get_content()
    assert f"{smtp_settings.base_url}/confirm/" in body
    [job] = email_jobs(db)
    assert (job.status, job.attempts) == ("done", 1)

    # when she opens the link and confirms
    path = LINK.search(body).group(1)
    assert browser.get(path).status_code == 200
    response = browser.submit(path)

    # then her address is confirmed and she is asked to sign in
    assert response.status_code == 303
    page = browser.get(response.headers["location"])
    assert page.status_code == 200
    assert "Your e-mail is confirmed" in page.text


def test_without_smtp_host_mail_is_kept_as_eml_and_its_link_logged(browser, db, settings, tmp_path, caplog):
    # given a development setup with no SMTP server
    development = settings.model_copy(update={"smtp_host": "", "data_dir": tmp_path})
    browser.submit("/signup", SIGN_UP)

    # when the worker runs
    run_due(db, development)

    # then the mail is a file a developer can open, and the link is in the log
    [path] = (tmp_path / "outbox").glob("*.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "ivan@shop.ru"
    link = LINK.search(mail.get_body(("plain",)).get_content()).group(0)
    assert link in caplog.text
    assert email_jobs(db)[0].status == "done"


def test_mail_is_retried_with_back_off_until_the_server_answers(browser, db, smtp, smtp_settings):
    # given a sign-up while the SMTP server is down (nothing listens on its port)
    browser.submit("/signup", SIGN_UP)

    # when the worker tries to deliver
    before = utcnow()
    assert run_due(db, smtp_settings) == 1

    # then the mail waits for a later try, with the reason noted
    [job] = email_jobs(db)
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error
    assert job.run_after > before + timedelta(seconds=5)
    assert smtp.inbox.received == []
    # and the next run leaves it alone until the back-off has passed
    assert run_due(db, smtp_settings) == 0

    # when the server is up and the back-off has passed
    smtp.start()
    make_due(db)
    assert run_due(db, smtp_settings) == 1

    # then the mail arrives, once
    assert len(smtp.inbox.to("ivan@shop.ru")) == 1
    [job] = email_jobs(db)
    assert (job.status, job.attempts) == ("done", 2)


def test_mail_that_never_goes_through_is_marked_failed(browser, db, smtp_settings):
    # given a sign-up and an SMTP server that never comes up
    browser.submit("/signup", SIGN_UP)

    # when the worker has tried as often as it may
    for _ in range(MAX_ATTEMPTS):
        make_due(db)
        assert run_due(db, smtp_settings) == 1

    # then the job is given up and no longer tried
    [job] = email_jobs(db)
    assert (job.status, job.attempts) == ("failed", MAX_ATTEMPTS)
    assert "ConnectionRefused" in job.last_error
    make_due(db)
    assert run_due(db, smtp_settings) == 0


def test_two_workers_never_deliver_one_mail_twice(db, smtp, smtp_settings):
    # given ten mails waiting in the outbox
    smtp.start()
    addresses = [f"user{n}@shop.ru" for n in range(10)]
    with db.transaction() as session:
        for address in addresses:
            enqueue_email(session, to=address, subject="Hello", text="Hello!")

    # when two workers run at the same time, and then once more each
    start = threading.Barrier(2)
    tried: list[int] = []

    def worker() -> None:
        start.wait()
        tried.append(run_due(db, smtp_settings))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    tried += [run_due(db, smtp_settings), run_due(db, smtp_settings)]

    # then every mail arrived exactly once
    assert sum(tried) == len(addresses)
    assert sorted(rcpt for rcpt_tos, _ in smtp.inbox.received for rcpt in rcpt_tos) == sorted(addresses)
    assert {job.status for job in email_jobs(db)} == {"done"}
