from tests.authz import PUBLIC, Route

ROUTES = [
    Route("auth.login", PUBLIC),
    Route("auth.login", PUBLIC, method="POST"),
    Route("auth.logout", PUBLIC, method="POST"),
    Route("auth.set_language", PUBLIC, method="POST", kwargs=lambda w: {"code": "en"}),
]
