"""The auth blueprint with every route module attached: the one to register."""

from . import bp, routes

# Importing a route module attaches its views to bp; add new route modules here.
ROUTE_MODULES = (routes,)

__all__ = ["bp"]
