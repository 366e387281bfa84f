from tests.authz import PUBLIC, Route

ROUTES = [
    Route("ops.healthz", PUBLIC),
    Route("ops.readyz", PUBLIC),
]
