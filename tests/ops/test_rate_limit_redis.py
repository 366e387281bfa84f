"""The login limit is counted in Redis, so every worker (and machine) shares one count.

Runs when TEST_REDIS_URL names a Redis database (CI: redis://127.0.0.1:6379/15); only this
module's keys (its own key prefix) are written and deleted.
"""

import os
import subprocess
import sys
import uuid

import pytest
import redis

from marketplace import create_app
from tests.conftest import ROOT, make_config

REDIS_URL = os.environ.get("TEST_REDIS_URL")
KEY_PREFIX = f"qhatu-test-{uuid.uuid4().hex[:12]}"
LOGIN_LIMIT = 10

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set")


def limited_config(database: str, tmp_path) -> dict:
    return make_config(
        database,
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=KEY_PREFIX,
    )


@pytest.fixture
def store():
    """The Redis database, cleared of this module's keys before and after each test."""
    client = redis.Redis.from_url(REDIS_URL)

    def forget():
        for key in client.scan_iter(match=f"*{KEY_PREFIX}*"):
            client.delete(key)

    forget()
    yield client
    forget()
    client.close()


def login_counters(store) -> dict[bytes, int]:
    return {key: int(store.get(key)) for key in store.scan_iter(match=f"*{KEY_PREFIX}*")}


def test_two_app_instances_share_the_login_count(migrated_database, tmp_path, store):
    workers = [create_app(limited_config(migrated_database, tmp_path)) for _ in range(2)]
    clients = [worker.test_client() for worker in workers]
    answers = [clients[n % 2].post("/login").status_code for n in range(LOGIN_LIMIT)]
    assert 429 not in answers  # empty forms: 400, but each one counts
    assert clients[0].post("/login").status_code == 429
    assert clients[1].post("/login").status_code == 429

    [(key, count)] = login_counters(store).items()
    assert key.decode().endswith(f"{KEY_PREFIX}/127.0.0.1/auth.login/10/1/minute")
    assert count >= LOGIN_LIMIT

    store.delete(key)  # the count lives in Redis: forgetting it there lifts the limit
    assert clients[0].post("/login").status_code == 400


def test_another_process_sees_the_count(migrated_database, tmp_path, store):
    client = create_app(limited_config(migrated_database, tmp_path)).test_client()
    for _ in range(LOGIN_LIMIT):
        assert client.post("/login").status_code == 400
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from marketplace import create_app\n"
        "import tests.ops.test_rate_limit_redis as module\n"
        "module.KEY_PREFIX = sys.argv[3]\n"
        "app = create_app(module.limited_config(sys.argv[1], Path(sys.argv[2])))\n"
        "print(app.test_client().post('/login').status_code)\n"
    )
    result = subprocess.run(  # noqa: S603  (this interpreter, our own script)
        [sys.executable, "-c", script, migrated_database, str(tmp_path), KEY_PREFIX],
        cwd=ROOT,
        env={**os.environ, "TEST_REDIS_URL": REDIS_URL},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "429"
