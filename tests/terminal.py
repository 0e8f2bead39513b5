"""The `socialvalue` command as a user runs it: a real process on a real database, and the
handover pack of the A38 sample (tests/data/handover)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import PROJECT

SOCIALVALUE = str(Path(sys.executable).with_name("socialvalue"))


# The terminal runs as if it were the morning the A38 plan starts: what it records is stamped so,
# and `status --on` any later day reads everything (an earlier one, only what was known then:
# a test of that gives its own `now`).
NOW = "2026-04-01T08:00:00+00:00"


def run(database_url: str, *args: str, stdin: str = "", now: str = NOW) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "SOCIALVALUE_NOW": now}
    return subprocess.run([SOCIALVALUE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def chat(database_url: str, *lines: str, user: str = "alice") -> subprocess.CompletedProcess:
    return run(database_url, "chat", "--project", PROJECT, "--user", user, stdin="".join(f"{line}\n" for line in lines))


def export(database_url: str) -> dict:
    done = run(database_url, "export", "--project", PROJECT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


DATA = Path(__file__).parent / "data" / "handover"
FIXTURE = DATA / "a38-export.json"
ON = "2026-11-28"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"  # rewrite the golden files, then review the diff


def seeded(database_url) -> None:
    done = run(database_url, "import", str(FIXTURE), "--keep-slack-places")
    assert done.returncode == 0, done.stderr


def pack(database_url, fmt: str) -> str:
    done = run(database_url, "handover", "--project", PROJECT, "--format", fmt, "--on", ON)
    assert done.returncode == 0, done.stderr
    return done.stdout
