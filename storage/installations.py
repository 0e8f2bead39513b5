"""Distributed mode's installations and install states, on the app's own database.

An installation holds a workspace's bot token, from "Add to Slack": slack_sdk's store reads
and writes it, and every web process and the worker find it there. With
SOCIALVALUE_ENCRYPTION_KEY set, each token is sealed with Fernet before it is written and
opened when it is read; a token written before the key was set is read as it is."""

import logging
import secrets
from copy import copy
from datetime import timedelta
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore, SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col

from storage.engine import reading, transaction
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, OAuthState, utcnow

logger = logging.getLogger(__name__)

SEALED = "fernet:"  # how a sealed token begins, so one written before the key was set is told apart
TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
STATE_LENGTH = 64  # the column's: a longer state handed back cannot be one the app issued
# Installs under way at once, at most: anyone can open the install page, and each visit stores
# a state; past this the oldest are let go (that person starts again from the install page).
MAX_LIVE_STATES = 500
Held = TypeVar("Held", Installation, Bot)


class TokenKeyMissing(RuntimeError):
    """A sealed token and no SOCIALVALUE_ENCRYPTION_KEY (or not the key it was sealed with)."""


class Sealer:
    """Fernet with the keys given, newest first: tokens are sealed with the first and opened
    with whichever sealed them, so a key is replaced without losing what the old one sealed."""

    def __init__(self, keys: list[str]) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None

    def seal(self, value: str | None) -> str | None:
        if value is None or self._fernet is None or value.startswith(SEALED):
            return value
        return SEALED + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        if value is None or not value.startswith(SEALED):
            return value
        if self._fernet is None:
            raise TokenKeyMissing("a Slack token is sealed and SOCIALVALUE_ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(value.removeprefix(SEALED).encode()).decode()
        except InvalidToken:
            raise TokenKeyMissing("a Slack token was sealed with a key SOCIALVALUE_ENCRYPTION_KEY does not hold") from None

    def reseal(self, value: str | None) -> str | None:
        """The value sealed with the newest key (sealed for the first time if it was not)."""
        return self.seal(self.open(value)) if self._fernet is not None and value is not None else value


def _with_tokens(held: Held, change: Any) -> Held:
    changed = copy(held)
    for name in TOKENS:
        if hasattr(changed, name):
            setattr(changed, name, change(getattr(changed, name)))
    return changed


class Installations(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store on the tables the app's migrations made, its tokens sealed."""

    def __init__(self, client_id: str, engine: AsyncEngine, sealer: Sealer) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logger)
        self.metadata = SQLModel.metadata
        self.installations, self.bots = SLACK_INSTALLATIONS, SLACK_BOTS
        self.sealer = sealer

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(_with_tokens(installation, self.sealer.seal))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(_with_tokens(bot, self.sealer.seal))

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        """slack_sdk's query, in a unit of work that only reads: asked on every request, it
        never waits for SQLite's write lock."""
        bots = SLACK_BOTS.c
        query = (
            select(SLACK_BOTS)
            .where(
                bots.client_id == self.client_id,
                bots.enterprise_id == enterprise_id,
                bots.team_id == (None if is_enterprise_install else team_id),
                bots.bot_token.is_not(None),
            )
            .order_by(bots.installed_at.desc())
            .limit(1)
        )
        async with reading(self.engine) as db:
            row = (await db.execute(query)).mappings().first()
        return None if row is None else _with_tokens(SQLAlchemyInstallationStore.build_bot_entity(row), self.sealer.open)

    async def async_find_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None, is_enterprise_install: bool | None = False
    ) -> Installation | None:
        found = await super().async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )
        return None if found is None else _with_tokens(found, self.sealer.open)

    async def bot_of(self, *, enterprise_id: str, team_id: str) -> Bot | None:
        """The installation a workspace's messages are sent with: its own, else its
        organisation's org-wide one."""
        found = await self.async_find_bot(enterprise_id=enterprise_id or None, team_id=team_id)
        if found is None and enterprise_id:
            found = await self.async_find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        return found


class OAuthStates(AsyncOAuthStateStore):
    """The states of installs under way. Consuming one is a single DELETE … RETURNING, so of two
    callbacks with the same state (a double click, a replayed URL) exactly one goes on."""

    def __init__(self, engine: AsyncEngine, *, expiration_seconds: int) -> None:
        self.engine = engine
        self.expiration = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state, now = secrets.token_urlsafe(32), utcnow()
        async with transaction(self.engine) as db:
            # The states of installs never finished go here, so the table stays small.
            await db.exec(delete(OAuthState).where(col(OAuthState.expire_at) < now))
            kept = select(col(OAuthState.id)).order_by(col(OAuthState.id).desc()).limit(MAX_LIVE_STATES - 1)
            await db.exec(delete(OAuthState).where(col(OAuthState.id).not_in(kept.scalar_subquery())))
            db.add(OAuthState(state=state, expire_at=now + self.expiration))
        return state

    async def async_consume(self, state: str) -> bool:
        if not isinstance(state, str) or not state or len(state) > STATE_LENGTH:
            return False
        async with transaction(self.engine) as db:
            taken = (await db.exec(delete(OAuthState).where(col(OAuthState.state) == state).returning(col(OAuthState.expire_at)))).first()
        if taken is None:
            logger.warning("an install came back with a state the app did not issue, or already used")
            return False
        return bool(taken[0] > utcnow())


async def unopenable_tokens(engine: AsyncEngine, sealer: Sealer) -> int:
    """How many stored tokens the keys given cannot open (checked at start: a key removed too
    soon is found before any workspace is served with it)."""
    count = 0
    async with reading(engine) as db:
        for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
            columns = [table.c[column] for column in TOKENS if column in table.c]
            for row in (await db.execute(select(*columns))).all():
                for value in row:
                    try:
                        sealer.open(value)
                    except TokenKeyMissing:
                        count += 1
    return count


async def reseal_tokens(engine: AsyncEngine, sealer: Sealer) -> int:
    """Every stored token sealed again with the newest key (for the first time, if it was
    stored before a key was set), in one transaction; returns how many tokens."""
    count = 0
    async with transaction(engine) as db:
        for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
            columns = [column for column in TOKENS if column in table.c]
            for row in (await db.execute(select(table.c.id, *(table.c[column] for column in columns)))).mappings():
                held = {column: row[column] for column in columns if row[column] is not None}
                await db.execute(update(table).where(table.c.id == row["id"]).values({k: sealer.reseal(v) for k, v in held.items()}))
                count += len(held)
    return count
