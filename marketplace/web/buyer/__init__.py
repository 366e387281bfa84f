"""The buyer's pages: its business, cart, orders, payments, invoices, agreements,
standing orders and spend.

`bp` is defined here and each route module attaches its views to it; `blueprint` imports
every route module, so the blueprint to register is `blueprint.bp`.
"""

from flask import Blueprint

bp = Blueprint("buyer", __name__)
