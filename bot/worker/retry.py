"""What becomes of a job that Slack refused: the retry policy, apart from the loop.

Slack's errors fall in two kinds. Transient ones (429, 5xx, timeouts, a lost connection) are
retried: a 429 after Slack's Retry-After (and every post waits with it; the wait does not
count as an attempt), the others with exponential backoff until MAX_ATTEMPTS. Permanent ones (the app is not in the channel, the channel is archived, the
user is deactivated, the token is revoked, ...) will fail the same way however often they are
tried: the job fails at once, and someone is told what to do (bot/worker/kinds.py says who).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.slack.errors import PERMANENT, WORKSPACE_GONE, slack_error
from bot.worker.sender import UNCERTAIN, PostMaybeSent, PostUncertain, SlackSaidWait, retry_after
from storage.models import JobStatus

MAX_ATTEMPTS = 5
GONE = "the app is no longer installed in the workspace: "  # a dropped job's last error, then Slack's
FIRST_BACKOFF = timedelta(seconds=30)  # doubled at each attempt


@dataclass(frozen=True)
class Outcome:
    status: JobStatus
    retry_at: datetime | None = None
    error: str | None = None
    permanent: str | None = None  # the Slack error that retrying cannot fix, if that is why it failed
    counted: bool = True  # False: Slack said to wait; the attempt is given back
    gone: bool = False  # the app's token for the job's workspace is gone: the workspace is uninstalled


def after_failure(failure: Exception, *, attempts: int, now: datetime) -> Outcome:
    error_code = slack_error(failure)
    if isinstance(failure, PostUncertain):
        return Outcome(JobStatus.FAILED, None, f"{UNCERTAIN}the connection was lost as it was posted", permanent="uncertain")
    if isinstance(failure, PostMaybeSent):
        error = f"{UNCERTAIN}{failure}"[:500]  # the next attempt looks for it before posting
        if attempts >= MAX_ATTEMPTS:
            return Outcome(JobStatus.FAILED, None, error, permanent="uncertain")
        return Outcome(JobStatus.PENDING, now + FIRST_BACKOFF * 2 ** (attempts - 1), error)
    if isinstance(failure, SlackSaidWait):
        return Outcome(JobStatus.PENDING, now + timedelta(seconds=failure.seconds), str(failure), counted=False)
    if isinstance(failure, SlackApiError):
        error = f"{failure.response.status_code}: {failure.response.data}"[:500]
        if failure.response.status_code == 429:
            return Outcome(JobStatus.PENDING, now + timedelta(seconds=retry_after(failure)), error, counted=False)
        if error_code in WORKSPACE_GONE:
            return Outcome(JobStatus.DROPPED, None, f"{GONE}{error_code}", gone=True)
        if error_code in PERMANENT:
            return Outcome(JobStatus.FAILED, None, error, permanent=error_code)
    else:
        error = f"{type(failure).__name__}: {failure}"[:500]
    if attempts >= MAX_ATTEMPTS:
        return Outcome(JobStatus.FAILED, None, error)
    return Outcome(JobStatus.PENDING, now + FIRST_BACKOFF * 2 ** (attempts - 1), error)
