"""Logging: one line per record, with the Slack request it belongs to (team, user, event id),
at the level LOG_LEVEL names. The request is bound by a Bolt middleware, in a context
variable, so every record logged while handling it carries it (tracebacks included)."""

import logging
import re
import sys
from contextvars import ContextVar

_request: ContextVar[str] = ContextVar("request", default="-")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request)s] %(message)s"


def bind_request(*, team: str | None, user: str | None, event: str | None) -> None:
    """Tag the records of the request being handled (each request runs in its own task)."""
    _request.set(f"team={team or '-'} user={user or '-'} event={event or '-'}")


class RequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request = _request.get()
        return True


# A Slack token (xoxb-…, xoxp-…, a rotating xoxe.xoxb-… and its xoxe-… refresh token) and the
# app's client secret: slack_sdk's DEBUG records of an install or a token rotation hold them.
SECRETS = re.compile(r"xox[a-z]?[.-][\w.-]+|(?<=client_secret)(['\"]?\s*[:=]\s*['\"]?)[^'\"&\s,}]+")


class SecretsRedacted(logging.Filter):
    """Takes the secrets out of a record before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRETS.sub(lambda found: f"{found.group(1) or ''}(redacted)", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_slack_sdk() -> None:
    """slack_sdk's Web API client logs each request and answer at DEBUG: without their secrets."""
    web = logging.getLogger("slack_sdk.web.async_base_client")
    if not any(isinstance(present, SecretsRedacted) for present in web.filters):
        web.addFilter(SecretsRedacted())


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic says what it migrates at INFO on every start of every command: not news.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
