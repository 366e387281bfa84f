"""The staff dashboard, its drill-down, CSV exports and the impact report: staff only."""

from tests.authz import STAFF_ONLY, Route


def table(world) -> dict:
    return {"table": "associations"}


ROUTES = [
    Route("staff.dashboard", STAFF_ONLY),
    Route("staff.dashboard_lines", STAFF_ONLY),
    Route("staff.dashboard_export", STAFF_ONLY, kwargs=table),
    Route("staff.impact", STAFF_ONLY),
]
