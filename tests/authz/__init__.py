"""Expected answers of every route for every role, one module per blueprint.

Each module defines ROUTES: a list of Route. tests/test_authorization.py walks the app's URL
map and fails on any (endpoint, method) that no module describes.

Roles: anon, buyer, other_buyer, promoter, other_promoter, staff. `world` (see
tests/test_authorization.py) holds two buyers and two associations; "buyer" and "promoter"
own the records that `kwargs` point at, "other_*" are the other tenant.

Expected answers:
- OK: allowed. Any answer below 400 except a redirect to the login page, or a 400/409/422
  form error (an empty POST is usually invalid input).
- LOGIN: a redirect to the login page.
- 403: logged in, wrong role. 404: right role, another tenant's record.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
LOGIN = "login"
ROLES = ("anon", "buyer", "other_buyer", "promoter", "other_promoter", "staff")


def expect(anon=OK, buyer=OK, other_buyer=None, promoter=OK, other_promoter=None, staff=OK):
    return {
        "anon": anon,
        "buyer": buyer,
        "other_buyer": buyer if other_buyer is None else other_buyer,
        "promoter": promoter,
        "other_promoter": promoter if other_promoter is None else other_promoter,
        "staff": staff,
    }


PUBLIC = expect()
BUYER_ONLY = expect(anon=LOGIN, promoter=403, staff=403)
BUYER_RECORD = expect(anon=LOGIN, other_buyer=404, promoter=403, staff=403)
PROMOTER_ONLY = expect(anon=LOGIN, buyer=403, staff=403)
PROMOTER_RECORD = expect(anon=LOGIN, buyer=403, other_promoter=404, staff=403)
STAFF_ONLY = expect(anon=LOGIN, buyer=403, promoter=403)
LOGGED_IN = expect(anon=LOGIN)


@dataclass
class Route:
    endpoint: str
    expected: dict[str, Any]
    method: str = "GET"
    kwargs: Callable[[Any], dict] = field(default=lambda world: {})
    data: Callable[[Any], dict] | None = None  # form posted (default: empty)
