"""The one wrapper every listener goes through: ack, build the request once, run the body,
show a refusal to the person who acted, and on any failure log the traceback and tell them
plainly that something went wrong (never silence)."""

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import PlainTextObject, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks.text import fallback, mrkdwn, plain
from bot.slack.errors import slack_error
from bot.slack.ids import StaleRef
from bot.slack.inbox import AGAIN, settle
from bot.slack.scope import INSTALLATIONS, Answer, Caller, Request
from flows.projects import ProjectRefused
from storage.engine import database_unavailable

logger = logging.getLogger(__name__)

Body = Callable[[Request], Awaitable[Answer | None]]
RESPONSE_URL_USES = 5  # messages Slack takes through one response_url
# Slack's refusals of a call made for the person who acted, in words they can act on.
SAID_BY_SLACK = {"expired_trigger_id": "form_expired", "exchanged_trigger_id": "form_expired", "trigger_expired": "form_expired"}
Listener = Callable[..., Awaitable[None]]


def request_of(body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, respond: AsyncRespond | None) -> Request:
    event = body.get("event") or {}
    message = body.get("message") or {}
    return Request(
        body=body,
        caller=Caller.of(body, context),
        client=client,
        engine=context["engine"],
        clock=context["clock"],
        admins=context["admins"],
        respond=respond if respond is not None and respond.response_url else None,
        thread_ts=event.get("thread_ts") or message.get("thread_ts"),
        replayed=bool(context.get(AGAIN)),
        installations=context.get(INSTALLATIONS),
    )


def refusal(refused: ProjectRefused) -> Answer:
    return Answer(mrkdwn(refused.reason, **refused.context))


def handler(run: Body, *, what: str) -> Listener:
    """A listener for a command, an action or an event, acked before `run`."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, respond: AsyncRespond | None
    ) -> None:
        await ack()
        request = request_of(body, context, client, respond)
        failure: Exception | None = None
        try:
            answer = await run(request)
        except ProjectRefused as refused:
            answer = refusal(refused)
        except StaleRef as stale:
            logger.warning("%s: a %s the app cannot have written", what, stale)
            answer = Answer(mrkdwn("stale_button"))
        except SlackApiError as refused:
            logger.exception("%s: Slack refused %s", what, slack_error(refused))
            answer = Answer(mrkdwn(SAID_BY_SLACK.get(slack_error(refused) or "", "something_went_wrong"), error=slack_error(refused)))
        except Exception as error:
            failure = error
            if database_unavailable(error):
                logger.warning("%s: the database failed (%r): to be tried again from the inbox", what, error)
                answer = None
            else:
                logger.exception("%s failed", what)
                answer = Answer(mrkdwn("something_went_wrong"))
        if await settle(context, failure):
            answer = Answer(mrkdwn("saving_delayed"))
        if answer is not None:
            await tell(request, answer)

    listener.__name__ = f"handle_{what.replace(' ', '_')}"
    return listener


async def tell(request: Request, answer: Answer) -> None:
    """Show an answer where the caller acted: through the command's or message's response_url
    (ephemeral unless public), else in the channel or DM the request came from. An answer longer
    than a response_url may carry (Slack takes five messages through one) goes to the caller's
    DM, as a message and its thread, and the response_url says so."""
    try:
        if request.respond is not None and len(answer.groups) > RESPONSE_URL_USES:
            opened = await request.client.conversations_open(users=request.caller.user)
            await post_answer(request.client, answer, channel=str(opened["channel"]["id"]), thread_ts=None)
            await request.respond(text=mrkdwn("sent_to_dm"), response_type="ephemeral", replace_original=False)
            return
        if request.respond is not None:
            response_type = "in_channel" if answer.public else "ephemeral"
            if not answer.groups:
                await request.respond(text=answer.text, response_type=response_type, replace_original=False)
            for group in answer.groups:
                await request.respond(blocks=group, text=fallback(answer.text), response_type=response_type, replace_original=False)
            return
        await post_answer(request.client, answer, channel=request.caller.channel, thread_ts=request.thread_ts)
    except Exception:
        logger.exception("telling %s failed", request.caller.user)


async def post_answer(client: AsyncWebClient, answer: Answer, *, channel: str, thread_ts: str | None) -> str:
    """Post an answer as messages: one, or a parent and its thread replies. Returns the first ts."""
    if not answer.groups:
        posted = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=answer.text)
        return str(posted["ts"])
    groups = list(answer.groups)
    first = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, blocks=groups[0], text=fallback(answer.text))
    parent = thread_ts or first["ts"]
    for group in groups[1:]:
        await client.chat_postMessage(channel=channel, thread_ts=parent, blocks=group, text=fallback(answer.text))
    return str(first["ts"])


FormResult = dict[str, Any] | None  # the ack's arguments (errors, or a view to show), or None to close
FormBody = Callable[[Request], Awaitable[tuple[FormResult, Callable[[], Awaitable[object]] | None]]]


def form_handler(run: FormBody, *, what: str) -> Listener:
    """A listener for a view submission: `run` validates and stores before the ack, so errors
    show in the form; what it returns to do after the ack runs then. On a failure the form stays
    open with an apology on its first field, rather than closing as if it had saved."""

    async def listener(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
        request = request_of(body, context, client, None)
        after = None
        try:
            result, after = await run(request)
        except StaleRef as stale:
            logger.warning("%s: a %s the app cannot have written", what, stale)
            result = _apology(body.get("view") or {}, plain("stale_button"))
        except Exception:
            logger.exception("%s failed", what)
            result = _apology(body.get("view") or {}, plain("something_went_wrong"))
        await ack(**result) if result else await ack()
        if after is not None:
            try:
                await after()
            except Exception:
                logger.exception("%s: after saving", what)

    listener.__name__ = f"handle_{what.replace(' ', '_')}"
    return listener


def submission_key(view: dict[str, Any]) -> str:
    """A form as submitted (its view and what was typed in it), so that the same submission sent
    twice is stored once: claimed like an event, in the transaction that stores it."""
    typed = json.dumps([view.get("private_metadata"), view.get("state", {}).get("values")], sort_keys=True)
    return f"view:{view.get('id', '')}:{hashlib.sha256(typed.encode()).hexdigest()[:32]}"


def _apology(view: dict[str, Any], text: str) -> dict[str, Any]:
    inputs = [block["block_id"] for block in view.get("blocks", []) if block.get("type") == "input" and block.get("block_id")]
    if inputs:
        return {"response_action": "errors", "errors": {inputs[0]: text}}
    apology = View(type="modal", title=plain("error_title"), close=plain("close"), blocks=[SectionBlock(text=PlainTextObject(text=text))])
    return {"response_action": "update", "view": apology.to_dict()}
