"""Each app follows its own RATELIMIT_ENABLED, whatever app the process built last.

The browser tests' live server (limits off) shares its process with tests that build apps
with limits on; the live server must never answer 429 because of them.
"""

from marketplace import create_app
from tests.conftest import make_config


def test_an_app_without_limits_stays_without_after_another_turns_them_on(
    migrated_database, tmp_path
):
    unlimited = create_app(make_config(migrated_database, tmp_path, RATELIMIT_ENABLED=False))
    limited = create_app(make_config(migrated_database, tmp_path, RATELIMIT_ENABLED=True))

    answers = [unlimited.test_client().post("/login").status_code for _ in range(30)]
    assert 429 not in answers

    answers = [limited.test_client().post("/login").status_code for _ in range(30)]
    assert 429 in answers
