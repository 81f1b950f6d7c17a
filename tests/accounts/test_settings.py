"""Settings refuse to run a production server with the development secret key."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from openkassa import cli
from openkassa.config import DEFAULT_SECRET_KEY, Settings, get_settings


def test_production_refuses_the_default_secret_key():
    # when an admin configures production without choosing a secret key
    with pytest.raises(ValidationError, match="OPENKASSA_SECRET_KEY"):
        Settings(env="production", secret_key=DEFAULT_SECRET_KEY)


def test_production_refuses_a_short_secret_key():
    # when the chosen key is too short to be secret
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="production", secret_key="hunter2")


def test_production_accepts_a_long_random_secret_key():
    # when the admin sets a 40-character random key
    key = secrets.token_urlsafe(30)
    assert len(key) == 40
    settings = Settings(env="production", secret_key=key)
    # then the settings are accepted, and cookies are sent over HTTPS only
    assert settings.secret_key == key
    assert settings.cookie_secure


def test_development_runs_with_the_default_key():
    # a fresh checkout starts without any setup
    assert Settings(env="development", secret_key=DEFAULT_SECRET_KEY).env == "development"


def test_the_server_does_not_start_in_production_with_the_default_key(monkeypatch, capsys):
    # given an environment that says production but sets no secret key
    try:
        with monkeypatch.context() as env:
            env.setenv("OPENKASSA_ENV", "production")
            env.delenv("OPENKASSA_SECRET_KEY", raising=False)
            get_settings.cache_clear()
            # when the admin runs `openkassa serve`
            with pytest.raises(SystemExit) as stopped:
                cli.main(["serve"])
    finally:
        get_settings.cache_clear()
    # then it stops with exit code 2 and says which setting to fix
    assert stopped.value.code == 2
    assert "OPENKASSA_SECRET_KEY" in capsys.readouterr().err
    assert get_settings().env == "development"
