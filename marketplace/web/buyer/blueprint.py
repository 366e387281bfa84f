"""The buyer blueprint with every route module attached: the one to register."""

from . import agreements, bp, cart, invoices, orders, payments, routes, spend, standing_orders

# Importing a route module attaches its views to bp; add new route modules here.
ROUTE_MODULES = (
    agreements,
    cart,
    invoices,
    orders,
    payments,
    routes,
    spend,
    standing_orders,
)

__all__ = ["bp"]
