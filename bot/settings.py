"""The one Settings object: environment variables and `.env`. Secrets are `SecretStr`, so
they never show in a log line or a traceback's locals."""

from functools import lru_cache
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.engine import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: SecretStr = SecretStr("")  # xoxb-…
    slack_signing_secret: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")  # xapp-…, for Socket Mode only
    # Distributed mode (many workspaces, each installed from /slack/install): the app's
    # credentials from its Basic Information page. Set both instead of SLACK_BOT_TOKEN.
    slack_client_id: str = ""
    slack_client_secret: SecretStr = SecretStr("")
    # Fernet keys (comma-separated, newest first) sealing the stored Slack tokens; empty: stored as given.
    socialvalue_encryption_key: SecretStr = SecretStr("")
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    socialvalue_admins: str = ""  # Slack user ids who may configure the app, besides workspace admins
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # How long the jobs a worker claimed stay its own without a heartbeat: a killed worker's
    # are taken by another after this. Its heartbeat writes every third of it.
    worker_lease_seconds: int = Field(default=60, ge=3, le=3600)
    # Who handles a request from Slack once it is stored and acknowledged: the web process, at
    # once (one process answers people), or the worker, within a moment (the web process only
    # stores and acks: fast acks under sustained traffic; the worker must be running).
    handle_requests_in: Literal["web", "worker"] = "web"
    # The terminal's commands run as if at this moment (ISO 8601, with its offset): for demos,
    # training and tests. What they record is stamped from it. Never set it in production.
    socialvalue_now: AwareDatetime | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("handle_requests_in", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("socialvalue_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr) -> SecretStr:
        for key in _keys(value):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError("each key must be 32 url-safe base64-encoded bytes, as `socialvalue key new` prints") from None
        return value

    @property
    def distributed(self) -> bool:
        """Many workspaces, each with its own installation, rather than one bot token."""
        return bool(self.slack_client_id.strip() or self.slack_client_secret.get_secret_value().strip())

    def encryption_keys(self) -> list[str]:
        return _keys(self.socialvalue_encryption_key)

    def missing_for(self, command: str) -> list[str]:
        """The settings `command` cannot run without and that are empty: a server without its
        signing secret would answer every request from Slack with a refusal."""
        token = ("slack_client_id", "slack_client_secret") if self.distributed else ("slack_bot_token",)
        needed = {"serve": (*token, "slack_signing_secret"), "socket": ("slack_bot_token", "slack_app_token")}
        return [name.upper() for name in needed.get(command, ()) if not _text(getattr(self, name)).strip()]

    def admins(self) -> frozenset[str]:
        return frozenset(user.strip() for user in self.socialvalue_admins.replace(";", ",").split(",") if user.strip())


def _text(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _keys(value: SecretStr) -> list[str]:
    return [key.strip() for key in value.get_secret_value().split(",") if key.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
