"""URL converters: an `<int:…>` in a route is a database id, so it is plain ASCII digits
within PostgreSQL's INTEGER (1..2**31-1); anything else is a 404 before any query runs."""

from flask import Flask
from werkzeug.routing import IntegerConverter

from ..numbers import MAX_ID


class DatabaseInt(IntegerConverter):
    """`<int:id>` bounded to the INTEGER column range; Arabic-Indic or other digits refused."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Register before the blueprints: rules compile their converters when added."""
    app.url_map.converters["int"] = DatabaseInt
