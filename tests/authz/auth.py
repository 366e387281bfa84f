from marketplace.extensions import db
from marketplace.services.accounts import invite_colleague
from tests.authz import LOGGED_IN, PUBLIC, Route


def extend(world):
    """A pending colleague invitation, so the invitation page has a valid token to show."""
    _user, world.invite_token = invite_colleague(
        db.session, world.buyer.id, "Colega Invitada", "invitada@example.pe"
    )


ROUTES = [
    Route("auth.login", PUBLIC),
    Route("auth.login", PUBLIC, method="POST"),
    Route("auth.logout", PUBLIC, method="POST"),
    Route("auth.set_language", PUBLIC, method="POST", kwargs=lambda w: {"code": "en"}),
    Route("auth.register", PUBLIC),
    Route("auth.register", PUBLIC, method="POST"),
    Route("auth.accept_invite", PUBLIC, kwargs=lambda w: {"token": w.invite_token}),
    Route("auth.accept_invite", PUBLIC, method="POST", kwargs=lambda w: {"token": w.invite_token}),
    Route("auth.account", LOGGED_IN),
    Route("auth.account", LOGGED_IN, method="POST"),
    Route("auth.change_password", LOGGED_IN, method="POST"),
]
