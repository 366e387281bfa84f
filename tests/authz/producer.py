from tests.authz import PROMOTER_ONLY, Route

ROUTES = [
    Route("producer.index", PROMOTER_ONLY),
]
