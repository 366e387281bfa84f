"""The staff blueprint with every route module attached: the one to register."""

from . import (
    agreements,
    bp,
    closures,
    dashboard,
    dev_mail,
    jobs,
    order_payments,
    payments,
    routes,
)

# Importing a route module attaches its views to bp; add new route modules here.
ROUTE_MODULES = (
    agreements,
    closures,
    dashboard,
    dev_mail,
    jobs,
    order_payments,
    payments,
    routes,
)

__all__ = ["bp"]
