"""The one Settings object: environment variables and `.env`."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./socialvalue.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str = ""  # xoxb-…
    slack_signing_secret: str = ""
    slack_app_token: str = ""  # xapp-…, for Socket Mode only
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000


@lru_cache
def get_settings() -> Settings:
    return Settings()
