"""What becomes of a job that Slack refused: the retry policy, apart from the loop."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from storage.models import JobStatus

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(seconds=30)  # doubled at each attempt


@dataclass(frozen=True)
class Outcome:
    status: JobStatus
    retry_at: datetime | None = None
    error: str | None = None


def after_failure(failure: Exception, *, attempts: int, now: datetime) -> Outcome:
    """A 429 waits for Slack's Retry-After (not an attempt lost); other failures are retried
    with exponential backoff until MAX_ATTEMPTS, then the job is failed with the error."""
    if isinstance(failure, SlackApiError):
        error = f"{failure.response.status_code}: {failure.response.data}"[:500]
        if failure.response.status_code == 429:
            headers = failure.response.headers
            seconds = int(headers.get("Retry-After", headers.get("retry-after", 1)))
            return Outcome(JobStatus.PENDING, now + timedelta(seconds=seconds), error)
    else:
        error = f"{type(failure).__name__}: {failure}"[:500]
    if attempts >= MAX_ATTEMPTS:
        return Outcome(JobStatus.FAILED, None, error)
    return Outcome(JobStatus.PENDING, now + FIRST_BACKOFF * 2 ** (attempts - 1), error)
