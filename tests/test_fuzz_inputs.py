"""No input gives a 500: every route of the URL map, as a role that may use it, gets odd
values in each form field, query parameter, file part and URL argument; the answer is never
a 5xx, and when it is an error nothing changed in the database.

The routes, the world they act on and the valid forms come from the route x role matrix
(tests/authz, tests/test_authorization.py). Each route gets a few generated cases
(QHATU_FUZZ_EXAMPLES, default 4); the cases are derived from a fixed seed so a run is
repeatable, and a failure names the request that broke.
"""

import io
import os
import re
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db
from marketplace.numbers import MAX_ID
from marketplace.services import DomainError
from tests.authz import OK
from tests.conftest import empty_all_tables
from tests.factories import PASSWORD
from tests.test_authorization import all_routes, build_world, form_data

EXAMPLES = int(os.environ.get("QHATU_FUZZ_EXAMPLES") or 4)
ROLE_ORDER = ("buyer", "promoter", "staff", "anon")

# Values seen to break a parser, or likely to: exponents, infinities, separators Python
# accepts, digits of other scripts, overflowing sizes, far dates, control characters.
ODD_TEXT = [
    "9" * 400,
    "1e309",
    "1e5000",
    "-1e5000",
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1_000",
    "\u0663",  # Arabic-Indic three
    "\uff11\uff12",  # full-width 12
    "\u00b2",  # superscript two: str.isdigit() says yes, int() says no
    "",
    " ",
    "-1",
    "0",
    "0x10",
    str(MAX_ID + 1),
    str(2**63),
    "1,000.50",
    "1.2.3",
    ",",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "\x00",
    "ñ" * 5000,
]
odd_values = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(st.characters(categories=("Nd",)), min_size=1, max_size=4),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=20),
)
# What a URL argument may be replaced with: ids past the INTEGER range, odd digits, far dates.
ODD_PATH = [str(MAX_ID + 1), "9" * 30, "\u0663", "0", "9999-12-31", "1e5", "%00"]

# Query parameters the pages read (besides the fields of their own forms).
QUERY_NAMES = (
    "page",
    "status",
    "city",
    "association",
    "association_id",
    "buyer_id",
    "product_id",
    "agreement_id",
    "date_from",
    "date_to",
    "from",
    "to",
    "period",
    "by",
    "figure",
    "view",
    "q",
    "category",
    "buyer_kind",
    "next",
    "session_id",
)
ID_FIELDS = ("product_id", "association_id", "address_id", "quantity", "amount")


@pytest.fixture
def app_config(stripe_config):
    """Cards on, against the local Stripe fakes, as in the route x role matrix."""
    return stripe_config


def allowed_role(route) -> str:
    """A role that may use the route; anonymous when the route refuses everyone."""
    return next((r for r in ROLE_ORDER if route.expected[r] == OK), "anon")


def snapshot() -> tuple:
    """Row counts of every table and the sums of its money and quantity columns, read on a
    connection of its own (what another request would see)."""
    parts = []
    for table in db.metadata.sorted_tables:
        parts.append(sa.select(sa.literal(table.name), sa.func.count()).select_from(table))
        for column in table.columns:
            if re.search(r"cents|quantity|stock|bps|days|amount", column.name) and isinstance(
                column.type, sa.Integer | sa.Numeric
            ):
                label = sa.literal(f"{table.name}.{column.name}")
                parts.append(sa.select(label, sa.func.coalesce(sa.func.sum(column), 0)))
    with db.engine.connect() as connection:
        return tuple(tuple(row) for row in connection.execute(sa.union_all(*parts)))


def logged_in_clients(app, world) -> dict:
    cookies = {}
    for role in ROLE_ORDER[:-1]:
        client = app.test_client()
        response = client.post(
            "/login", data={"email": world.users[role].email, "password": PASSWORD}
        )
        assert response.status_code == 303, f"{role} could not log in"
        cookies[role] = client.get_cookie("session").value
    return cookies


def client_for(app, cookies, role):
    client = app.test_client()
    if role in cookies:
        client.set_cookie("session", cookies[role])
    return client


def odd_url(url: str, kwargs: dict, name: str, value: str) -> str:
    """The URL with the segment that holds argument `name` replaced by `value`."""
    path = urlsplit(url).path
    original = quote(str(kwargs[name]), safe="")
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment == original or segment.startswith(original + "."):
            segments[i] = quote(value, safe="%") + segment[len(original) :]
            break
    return "/".join(segments)


def fresh(valid: dict) -> dict:
    """The valid form again, with a new file object for each file part (a sent one is spent)."""
    return {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in valid.items()}


def prepare(app, cookies, world, route):
    """The route's URL, its arguments and the valid form a browser would send."""
    role = allowed_role(route)
    with app.test_request_context():
        kwargs = route.kwargs(world)
        url = url_for(route.endpoint, **kwargs)
        page_url = route.page(world) if route.page else None
        data = route.data(world) if route.data else {}
    db.session.commit()
    valid = form_data(client_for(app, cookies, role), url, page_url, data)
    db.session.rollback()
    for name, value in valid.items():
        if isinstance(value, tuple):  # a file part: keep its bytes, send a new object each time
            valid[name] = (value[0].read(), value[1])
    return kwargs, url, valid


def fuzz_route(app, cookies, route, kwargs, url, valid) -> None:
    role = allowed_role(route)
    fields = sorted({*valid, *ID_FIELDS})
    url_args = sorted(k for k in kwargs if str(kwargs[k]))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.data())
    def send(case):
        kinds = ["form", "file", "query"] + (["url"] if url_args else [])
        kind = case.draw(st.sampled_from(kinds), label="kind")
        target, body, files = url, fresh(valid), False
        if kind == "url":
            name = case.draw(st.sampled_from(url_args), label="argument")
            target = odd_url(url, kwargs, name, case.draw(st.sampled_from(ODD_PATH)))
        elif kind == "query":
            name = case.draw(st.sampled_from(sorted({*QUERY_NAMES, *valid})), label="parameter")
            value = case.draw(odd_values, label="value")
            target = f"{url}?{quote(name)}={quote(value, safe='')}"
        else:
            name = case.draw(st.sampled_from(fields), label="field")
            if kind == "file":
                body[name], files = (io.BytesIO(b"12"), "n.txt"), True
            else:
                body[name] = case.draw(odd_values, label="value")
        before = snapshot()
        client = client_for(app, cookies, role)
        response = client.open(
            target,
            method=route.method,
            data=body if route.method != "GET" else None,
            content_type="multipart/form-data" if files else None,
        )
        db.session.rollback()
        where = f"{route.method} {target} as {role} ({kind})"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if response.status_code >= 400:
            assert snapshot() == before, f"{where}: answered {response.status_code} but wrote"

    send()


def new_world(app):
    db.session.rollback()
    empty_all_tables()
    world = build_world()
    return world, logged_in_clients(app, world)


def test_no_input_gives_a_server_error(app):
    world = build_world()
    cookies = logged_in_clients(app, world)
    broken = []
    for route in sorted(all_routes(), key=lambda r: (r.last, r.endpoint == "auth.logout")):
        try:
            prepared = prepare(app, cookies, world, route)
        except DomainError:  # an odd value some route took moved the world on: start again
            world, cookies = new_world(app)
            prepared = prepare(app, cookies, world, route)
        try:
            fuzz_route(app, cookies, route, *prepared)
        except Exception as error:  # every route is tried; all that broke are reported
            db.session.rollback()
            broken.append(f"{route.method} {route.endpoint}: {type(error).__name__}: {error}")
    assert not broken, "\n".join(broken)
