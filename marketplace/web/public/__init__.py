"""The public catalog: products, associations and their stories.

`bp` is defined here and each route module attaches its views to it; `blueprint` imports
every route module, so the blueprint to register is `blueprint.bp`.
"""

from flask import Blueprint

bp = Blueprint("public", __name__)
