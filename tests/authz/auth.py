"""Accounts: logging in, registering, invitations, one's own account and password."""

from marketplace.extensions import db
from marketplace.services.accounts import invite_colleague
from tests.authz import LOGGED_IN, PUBLIC, Route
from tests.factories import PASSWORD
from tests.test_security import registration

NEW_PASSWORD = "una frase nueva y larga"


def extend(world):
    """A pending colleague invitation, so the invitation page has a valid token to show."""
    _user, world.invite_token = invite_colleague(
        db.session, world.buyer.id, "Colega Invitada", "invitada@example.pe"
    )


def credentials(w) -> dict:
    """The world's buyer logging in (the logged-in roles are sent to their home instead)."""
    return {"email": w.users["buyer"].email, "password": PASSWORD}


def invite(w) -> dict:
    return {"token": w.invite_token}


ROUTES = [
    Route("auth.login", PUBLIC),
    Route("auth.login", PUBLIC, method="POST", data=credentials),
    Route("auth.logout", PUBLIC, method="POST", last=True),
    Route("auth.set_language", PUBLIC, method="POST", kwargs=lambda w: {"code": "en"}),
    Route("auth.register", PUBLIC),
    Route("auth.register", PUBLIC, method="POST", data=lambda w: registration()),
    Route("auth.accept_invite", PUBLIC, kwargs=invite),
    Route(
        "auth.accept_invite",
        PUBLIC,
        method="POST",
        kwargs=invite,
        data=lambda w: {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    ),
    Route("auth.account", LOGGED_IN),
    Route(
        "auth.account", LOGGED_IN, method="POST", data=lambda w: {"name": "Rosa", "locale": "es"}
    ),
    # Without a password to replace, the page sends the user home.
    Route("auth.new_password", LOGGED_IN),
    Route(
        "auth.new_password",
        LOGGED_IN,
        method="POST",
        data=lambda w: {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    ),
    # Ends every session of the role: after everything else.
    Route("auth.sign_out_everywhere", LOGGED_IN, method="POST", last=True),
    # Changes the role's password: the very last.
    Route(
        "auth.change_password",
        LOGGED_IN,
        method="POST",
        data=lambda w: {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
        last=True,
    ),
]
