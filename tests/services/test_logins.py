"""A cookie naming a login is read without trusting its numbers: odd ones name nobody."""

import pytest

from marketplace.extensions import db
from marketplace.services.logins import user_for_login


@pytest.mark.parametrize(
    "session_id",
    [
        "99999999999999999999999:0:token",  # past every integer column
        "2147483648:0:token",  # past PostgreSQL's INTEGER
        "1:99999999999999999999999:token",
        "²:0:token",  # a digit to str.isdigit, not to int()
        "١:0:token",  # Arabic-Indic one
        "1:٠:token",
        "1::token",
        "1:0:",
        "",
    ],
)
def test_an_odd_login_id_names_nobody(app, session_id):
    assert user_for_login(db.session, session_id) is None
