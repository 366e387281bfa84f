"""Log in, log out, choose a language.

`bp` is defined here and each route module attaches its views to it; `blueprint` imports
every route module, so the blueprint to register is `blueprint.bp`.
"""

from flask import Blueprint

bp = Blueprint("auth", __name__)
