"""The command line as an operator uses it."""

from __future__ import annotations

import logging

from openkassa.cli import RedactLinkSecrets


def test_access_logs_never_show_the_secret_of_an_emailed_link():
    # given uvicorn logging a request for a password-reset link
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/password/reset/s3cr3t-t0ken?x=1", "1.1", 200), None,
    )
    # when the record passes our filter
    RedactLinkSecrets().filter(record)
    # then the path is logged without the secret
    line = record.getMessage()
    assert "s3cr3t-t0ken" not in line
    assert "/password/reset/…?x=1" in line


def test_the_demo_command_prints_the_login(tmp_path, monkeypatch, capsys):
    from openkassa import cli
    from openkassa.config import get_settings

    # given an empty embedded database
    monkeypatch.setenv("OPENKASSA_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    get_settings.cache_clear()
    try:
        # when the demo command runs twice, as `make run` does on every start
        cli.main(["demo", "--days", "3", "--if-empty", "--email", "boss@example.com", "--password", "secret-pass"])
        first = capsys.readouterr().out
        cli.main(["demo", "--days", "3", "--if-empty", "--email", "boss@example.com", "--password", "secret-pass"])
        second = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    # then the first run creates the account and both print how to sign in
    assert "boss@example.com" in first and "secret-pass" in first
    assert "no demo data added" in second and "boss@example.com" in second
