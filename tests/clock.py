"""A clock tests move by hand; sleeping on it moves it."""

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.current = now
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)

    def at(self, iso: str) -> "FakeClock":
        self.current = datetime.fromisoformat(iso).replace(tzinfo=UTC)
        return self

    def advance(self, by: timedelta) -> None:
        self.current += by
