"""A request the domain declines, said once: `reason` names the explanation in prompts/
and `context` fills it in; nothing was stored."""

from typing import Any


class Refused(Exception):
    def __init__(self, reason: str, **context: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.context = context
