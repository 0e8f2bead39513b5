"""The registry of job kinds and the retry policy, without Slack: every kind the domain
queues has a handler, every payload reads back as it was written (rows queued before this
version included), and each failure ends where the policy says."""

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.worker.kinds import KINDS, Message
from bot.worker.retry import MAX_ATTEMPTS, after_failure
from flows.outbox import DigestDue, HandoverPack, JobKind, PlanSummary, Reminder
from storage.models import JobStatus

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_every_job_kind_has_a_handler_and_its_own_payload():
    assert set(KINDS) == set(JobKind)
    assert all(kind.payload.kind == name for name, kind in KINDS.items())


@pytest.mark.parametrize(
    "job",
    [
        Reminder(project_id=1, measure_id=2, period_end="2026-12-01", moment="due", to="U1", owner="U1", tz="Europe/Paris"),
        Reminder(project_id=1, measure_id=2, period_end="2026-12-01", moment="snoozed", to="U2", owner="U1", day="2026-11-30"),
        DigestDue(workspace_id=3, week="2026-W49"),
        HandoverPack(project_id=4, requested_by="U1"),
        PlanSummary(project_id=4, completed_by="U1", completed_at=NOW.isoformat()),
    ],
)
def test_a_payload_reads_back_as_it_was_queued(job):
    assert type(job).from_payload(job.payload()) == job


def test_rows_queued_before_this_version_still_read():
    old_reminder = {
        "project_id": 1,
        "measure_id": 2,
        "tz": "Europe/London",
        "period_end": "2026-12-01",
        "kind": "overdue",
        "to": "U9",
        "owner": "U1",
    }
    reminder = Reminder.from_payload(old_reminder)
    assert (reminder.moment, reminder.dedupe_key) == ("overdue", "reminder:2:2026-12-01:overdue:lead")
    message = Message.from_payload({"channel": "C1", "text": "Hi", "groups": [[{"type": "divider"}]]})
    assert (message.channel, message.groups) == ("C1", [[{"type": "divider"}]])


def test_keys_are_those_of_earlier_versions_so_nothing_is_queued_twice():
    snoozed = Reminder(project_id=1, measure_id=2, period_end="2026-12-01", moment="snoozed", to="U2", owner="U1", day="2026-11-30")
    assert snoozed.dedupe_key == "reminder:2:2026-12-01:snoozed:U2:2026-11-30"
    assert DigestDue(workspace_id=3, week="2026-W49").dedupe_key == "digest:3:2026-W49"
    assert PlanSummary(project_id=4, completed_by="U1", completed_at="t").dedupe_key == "summary:4:U1:t"
    assert HandoverPack(project_id=4, requested_by="U1").dedupe_key != HandoverPack(project_id=4, requested_by="U1").dedupe_key


def slack_error(status: int, headers: dict | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None, http_verb="POST", api_url="x", req_args={}, data={"ok": False, "error": "e"}, headers=headers or {}, status_code=status
    )
    return SlackApiError("refused", response)


def test_a_429_waits_for_retry_after_whatever_the_attempts():
    outcome = after_failure(slack_error(429, {"Retry-After": "17"}), attempts=MAX_ATTEMPTS, now=NOW)
    assert (outcome.status, outcome.retry_at) == (JobStatus.PENDING, NOW + timedelta(seconds=17))


def test_other_failures_back_off_then_fail_with_the_error():
    first = after_failure(slack_error(500), attempts=1, now=NOW)
    third = after_failure(ConnectionResetError("reset"), attempts=3, now=NOW)
    last = after_failure(slack_error(500), attempts=MAX_ATTEMPTS, now=NOW)
    assert (first.status, first.retry_at) == (JobStatus.PENDING, NOW + timedelta(seconds=30))
    assert (third.status, third.retry_at, third.error) == (JobStatus.PENDING, NOW + timedelta(seconds=120), "ConnectionResetError: reset")
    assert (last.status, last.retry_at) == (JobStatus.FAILED, None) and last.error.startswith("500")


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived", "user_disabled", "missing_scope"])
def test_a_refusal_retrying_cannot_fix_fails_at_once(error):
    response = AsyncSlackResponse(
        client=None, http_verb="POST", api_url="x", req_args={}, data={"ok": False, "error": error}, headers={}, status_code=200
    )
    outcome = after_failure(SlackApiError("refused", response), attempts=1, now=NOW)
    assert (outcome.status, outcome.permanent) == (JobStatus.FAILED, error)


@pytest.mark.parametrize("error", ["invalid_auth", "account_inactive", "token_revoked"])
def test_a_token_slack_no_longer_takes_drops_the_job_as_the_workspace_gone(error):
    response = AsyncSlackResponse(
        client=None, http_verb="POST", api_url="x", req_args={}, data={"ok": False, "error": error}, headers={}, status_code=200
    )
    outcome = after_failure(SlackApiError("refused", response), attempts=1, now=NOW)
    assert (outcome.status, outcome.gone, outcome.permanent) == (JobStatus.DROPPED, True, None)
    assert outcome.error == f"the app is no longer installed in the workspace: {error}"
