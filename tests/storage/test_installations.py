"""Distributed mode's store: install states good once (also when brought back at the same
moment), a bounded number of them, and tokens sealed at rest with a key that can be replaced."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, insert, select

from storage.engine import create_engine, transaction
from storage.installations import MAX_LIVE_STATES, SEALED, Installations, OAuthStates, Sealer, TokenKeyMissing
from storage.models import SLACK_BOTS, OAuthState

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


async def test_a_state_is_consumed_once_even_by_callbacks_at_the_same_moment(database_url):
    engines = [create_engine(database_url) for _ in range(4)]  # as many processes
    try:
        states = OAuthStates(engines[0], expiration_seconds=600)
        state = await states.async_issue()
        taken = await asyncio.gather(*(OAuthStates(engine, expiration_seconds=600).async_consume(state) for engine in engines * 2))
        assert sorted(taken) == [False] * 7 + [True]
        assert await states.async_consume(state) is False
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_state_past_its_time_or_not_issued_is_refused(engine):
    states = OAuthStates(engine, expiration_seconds=600)
    expired = await OAuthStates(engine, expiration_seconds=-1).async_issue()
    assert await states.async_consume(expired) is False
    for unknown in ("", "x" * 65, "never-issued"):
        assert await states.async_consume(unknown) is False


async def test_the_live_states_are_bounded_and_the_newest_kept(engine):
    later = datetime.now(UTC) + timedelta(minutes=5)
    async with transaction(engine) as db:
        await db.execute(insert(OAuthState), [{"state": f"s{n}", "expire_at": later} for n in range(MAX_LIVE_STATES)])
    states = OAuthStates(engine, expiration_seconds=600)
    newest = await states.async_issue()
    async with transaction(engine) as db:
        assert (await db.exec(select(func.count()).select_from(OAuthState))).one()[0] == MAX_LIVE_STATES
    assert await states.async_consume("s0") is False  # the oldest was let go
    assert await states.async_consume(f"s{MAX_LIVE_STATES - 1}") is True
    assert await states.async_consume(newest) is True


def test_a_sealed_token_opens_with_its_key_and_an_unsealed_one_reads_as_it_is():
    sealer = Sealer([NEW])
    sealed = sealer.seal("xoxb-1-secret")
    assert sealed.startswith(SEALED) and "xoxb" not in sealed
    assert sealer.open(sealed) == "xoxb-1-secret"
    assert sealer.seal(sealed) == sealed  # never sealed twice
    assert sealer.open("xoxb-written-before-the-key") == "xoxb-written-before-the-key"
    assert Sealer([]).seal("xoxb-1") == "xoxb-1"


def test_a_sealed_token_without_its_key_is_refused_plainly():
    sealed = Sealer([OLD]).seal("xoxb-1-secret")
    with pytest.raises(TokenKeyMissing, match="SOCIALVALUE_ENCRYPTION_KEY is not set"):
        Sealer([]).open(sealed)
    with pytest.raises(TokenKeyMissing, match="does not hold"):
        Sealer([NEW]).open(sealed)


def test_a_new_key_opens_what_the_old_one_sealed_and_reseals_it():
    sealed = Sealer([OLD]).seal("xoxb-1-secret")
    both = Sealer([NEW, OLD])
    assert both.open(sealed) == "xoxb-1-secret"
    resealed = both.reseal(sealed)
    assert Sealer([NEW]).open(resealed) == "xoxb-1-secret"


async def test_the_store_keeps_tokens_sealed_and_finds_a_workspaces_or_its_organisations(engine):
    store = Installations("1111.2222", engine, Sealer([NEW]))
    await store.async_save(Installation(app_id="A1", team_id="T2", bot_token="xoxb-two", bot_id="B", bot_user_id="UB", user_id="UA"))
    await store.async_save(
        Installation(
            app_id="A1", enterprise_id="E1", bot_token="xoxb-org", bot_id="B", bot_user_id="UB", user_id="UA", is_enterprise_install=True
        )
    )
    async with engine.connect() as connection:
        tokens = [row.bot_token for row in await connection.execute(select(SLACK_BOTS))]
    assert len(tokens) == 2 and all(token.startswith(SEALED) for token in tokens)
    assert (await store.bot_of(enterprise_id="", team_id="T2")).bot_token == "xoxb-two"
    assert (await store.bot_of(enterprise_id="E1", team_id="T9")).bot_token == "xoxb-org"  # a workspace of the org-wide install
    assert await store.bot_of(enterprise_id="", team_id="T9") is None
    found = await store.async_find_installation(enterprise_id=None, team_id="T2")
    assert found is not None and found.bot_token == "xoxb-two"
