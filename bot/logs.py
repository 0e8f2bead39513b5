"""Logging: one line per record, with the Slack request it belongs to (team, user, event id),
at the level LOG_LEVEL names. The request is bound by a Bolt middleware, in a context
variable, so every record logged while handling it carries it (tracebacks included)."""

import logging
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


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic says what it migrates at INFO on every start of every command: not news.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
