"""Logins kept on the server, and the per-account limit on failed logins.

Each login gets a secret token; the session and the remember cookie carry it (with the
user's id and session version), the database keeps its hash. A cookie authenticates only
while its row exists and the version matches: logging out deletes the row, "sign out
everywhere" deletes them all and bumps the version.

Failed logins are counted per e-mail address, in the database, so that every worker sees
the same count and trying one account from many addresses does not help. After
FREE_FAILURES failures in a row the next attempt must wait FIRST_WAIT, doubling with each
further failure up to LONGEST_WAIT: never longer, so the owner can always get in.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import LoginThrottle, User, UserLogin
from ..numbers import NotANumber, parse_id, parse_whole
from ..types import utcnow

#: A login older than this ends, as the remember cookie does.
LOGIN_MAX_AGE = timedelta(days=30)

FREE_FAILURES = 5
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)
#: A day without failures wipes the count.
FORGET_FAILURES_AFTER = timedelta(hours=24)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- logins ------------------------------------------------------------------------------


def open_login(session: Session, user: User) -> str:
    """Record a new login of `user` and return its token (set on the user for get_id)."""
    token = secrets.token_urlsafe(32)
    session.execute(
        sa.delete(UserLogin).where(
            UserLogin.user_id == user.id, UserLogin.created_at < utcnow() - LOGIN_MAX_AGE
        )
    )
    session.add(UserLogin(user_id=user.id, token_hash=_hash(token), created_at=utcnow()))
    session.flush()
    user.login_token = token
    return token


def user_for_login(session: Session, session_id: str) -> User | None:
    """The user a session or remember cookie names ("<id>:<version>:<token>"), if the
    login is still open, the version current and the account active."""
    user_id, _, rest = session_id.partition(":")
    version, _, token = rest.partition(":")
    user_id = parse_id(user_id)
    try:
        version = parse_whole(version)
    except NotANumber:
        return None
    if user_id is None or version is None or not token:
        return None
    user = session.scalar(
        sa.select(User)
        .join(UserLogin, UserLogin.user_id == User.id)
        .where(
            User.id == user_id,
            User.session_version == version,
            User.active.is_(True),
            UserLogin.token_hash == _hash(token),
            UserLogin.created_at >= utcnow() - LOGIN_MAX_AGE,
        )
    )
    if user is not None:
        user.login_token = token
    return user


def end_login(session: Session, user: User) -> None:
    """Log out this browser: its session and remember cookies stop working."""
    if user.login_token:
        session.execute(
            sa.delete(UserLogin).where(
                UserLogin.user_id == user.id, UserLogin.token_hash == _hash(user.login_token)
            )
        )
    user.login_token = None


def end_all_logins(session: Session, user: User) -> None:
    """Log the user out on every device ("sign out everywhere", staff, password change)."""
    session.execute(sa.delete(UserLogin).where(UserLogin.user_id == user.id))
    user.session_version = (user.session_version or 0) + 1
    user.login_token = None


# --- failed logins -----------------------------------------------------------------------


def _throttle_key(email: str) -> str:
    return _hash(email.strip().lower())


def wait_after(failures: int) -> timedelta | None:
    """The wait that `failures` failed logins in a row impose."""
    if failures < FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES, 20)
    return min(FIRST_WAIT * 2**doublings, LONGEST_WAIT)


def minutes_to_wait(wait: timedelta) -> int:
    """The wait in whole minutes, rounded up, for people: at least 1."""
    return max(1, math.ceil(wait.total_seconds() / 60))


def start_attempt(session: Session, email: str) -> tuple[timedelta | None, timedelta | None]:
    """Count a login attempt for this address as failed until it succeeds.

    Returns (wait, wait_if_wrong): `wait` if the address must still wait, in which case the
    caller rolls back (an attempt refused unheard is not counted); otherwise the wait that
    this attempt imposes if the password turns out wrong. The row stays locked until the
    caller commits, so the attempts on one account are counted one after the other,
    whichever worker answers them.
    """
    now = utcnow()
    table = LoginThrottle.__table__
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    statement = insert(table).values(
        key=_throttle_key(email), failures=1, last_failure_at=now, wait_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": sa.case(
                (table.c.last_failure_at < now - FORGET_FAILURES_AFTER, 1),
                else_=table.c.failures + 1,
            ),
            "last_failure_at": now,
        },
    ).returning(table.c.failures, table.c.wait_until)
    failures, wait_until = session.execute(statement).one()
    if wait_until is not None and wait_until > now:
        return wait_until - now, None
    wait = wait_after(failures)
    session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == _throttle_key(email))
        .values(wait_until=now + wait if wait else None)
    )
    session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_FAILURES_AFTER)
    )
    return None, wait


def record_successful_login(session: Session, email: str) -> None:
    """A correct password wipes the address's failures."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == _throttle_key(email)))
