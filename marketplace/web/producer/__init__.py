"""The promoter's pages: the association's profile, products, stock, orders, agreements and figures.

`bp` is defined here and each route module attaches its views to it; `blueprint` imports
every route module, so the blueprint to register is `blueprint.bp`.
"""

from flask import Blueprint

bp = Blueprint("producer", __name__)
