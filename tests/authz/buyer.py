from tests.authz import BUYER_ONLY, Route

ROUTES = [
    Route("buyer.index", BUYER_ONLY),
]
