"""Settings read from the environment (prefix OPENKASSA_), then `.env`, then defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Settings(BaseSettings):
    """Everything the three programs need to know about their surroundings."""

    model_config = SettingsConfigDict(env_prefix="OPENKASSA_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    secret_key: str = DEFAULT_SECRET_KEY
    data_dir: Path = Path("var")
    database_url: str = ""
    base_url: str = DEFAULT_BASE_URL

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "OpenKassa <no-reply@openkassa.local>"

    run_worker: bool = True
    session_days: int = 14
    api_key_requests_per_minute: int = 600  # per API key, counted in the database (all processes share it)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and (
            self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "OPENKASSA_SECRET_KEY must be set to a random string of at least 32 "
                "characters in production"
            )
        if self.env == "production" and self.base_url == DEFAULT_BASE_URL:
            raise ValueError("OPENKASSA_BASE_URL must be set in production: links in e-mails lead there")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: OPENKASSA_DATABASE_URL or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'openkassa.db').as_posix()}"

    @property
    def outbox_dir(self) -> Path:
        """Where mails are written as .eml files when no SMTP host is set."""
        return self.data_dir / "outbox"

    @property
    def cookie_secure(self) -> bool:
        return self.env == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
