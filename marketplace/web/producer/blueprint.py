"""The producer blueprint with every route module attached: the one to register."""

from . import agreements, bp, closures, demand, figures, home, ledger, orders, routes

# Importing a route module attaches its views to bp; add new route modules here.
ROUTE_MODULES = (
    agreements,
    closures,
    demand,
    figures,
    home,
    ledger,
    orders,
    routes,
)

__all__ = ["bp"]
