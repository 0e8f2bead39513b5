"""The baseline of bench/load.py: a Bolt app on the same server stack as `socialvalue serve`
(uvicorn, Bolt's ASGI handler, signature checks) whose listeners only acknowledge.

    .venv/bin/python bench/bare_app.py --port 3001
"""

import argparse
import os
import re
from typing import Any

import uvicorn
from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app() -> AsyncSlackRequestHandler:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"], ssl_check_enabled=False)

    async def only_ack(ack: Any) -> None:
        await ack()

    async def nothing() -> None:
        return None

    app.command("/socialvalue")(only_ack)
    app.event("message")(nothing)
    app.action(re.compile(".*"))(only_ack)
    app.view(re.compile(".*"))(only_ack)
    return AsyncSlackRequestHandler(app, path="/slack/events")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(bare_app(), host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")
