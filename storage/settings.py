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
    socialvalue_admins: str = ""  # Slack user ids who may configure the app, besides workspace admins

    def admins(self) -> set[str]:
        return {user.strip() for user in self.socialvalue_admins.replace(";", ",").split(",") if user.strip()}


@lru_cache
def get_settings() -> Settings:
    return Settings()
