from tests.authz import STAFF_ONLY, Route

ROUTES = [
    Route("staff.index", STAFF_ONLY),
]
