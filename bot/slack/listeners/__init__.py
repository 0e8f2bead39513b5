"""Every Slack listener, registered by surface."""

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import actions, assistant, commands, events, shortcuts, views


def register_listeners(app: AsyncApp) -> None:
    commands.register(app)
    events.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    assistant.register(app)
    events.register_fallback(app)  # last: any other event is acknowledged, so Slack does not retry it
