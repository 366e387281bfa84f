from tests.authz import PUBLIC, Route

ROUTES = [
    Route("public.index", PUBLIC),
]
