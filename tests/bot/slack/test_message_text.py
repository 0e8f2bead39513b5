import pytest

from bot.slack.message_text import text_from_message


@pytest.mark.parametrize(
    "event_text, seen",
    [
        ("Jobs &amp; skills", "Jobs & skills"),
        ("a &lt;b&gt; c", "a <b> c"),
        ("&lt;!channel&gt; typed literally", "<!channel> typed literally"),
        ("<!here> please", "@here please"),
        ("ask <@U123ABC>", "ask @U123ABC"),
        ("see <#C42|a38-team>", "see #a38-team"),
        ("<https://example.org|the plan> and <https://x.org>", "the plan and https://x.org"),
        ("<mailto:a@b.org|a@b.org>", "a@b.org"),
        ("<!subteam^S1|@design>", "@design"),
        ("&amp;lt;", "&lt;"),
    ],
)
def test_event_text_becomes_what_the_user_saw(event_text, seen):
    assert text_from_message(event_text) == seen
