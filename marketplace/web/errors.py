"""Error pages: roll back whatever the request started, answer HTML or JSON."""

from contextlib import suppress

import sqlalchemy as sa
from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..extensions import db


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def titles() -> dict[int, str]:
    return {
        400: _("Solicitud incorrecta"),
        403: _("No tienes permiso para ver esta página"),
        404: _("No encontramos esta página"),
        405: _("Método no permitido"),
        413: _("El archivo es demasiado grande"),
        429: _("Demasiados intentos; espera un momento"),
        500: _("Algo salió mal de nuestro lado"),
        503: _("No pudimos atenderte ahora; vuelve a intentarlo en unos segundos"),
    }


# A database that does not answer (a restart, a failover) is usually back within seconds.
RETRY_AFTER_SECONDS = 5


def plain_page(code: int, title: str) -> str:
    """An error page that needs nothing: when even the layout fails (it reads the user)."""
    return (
        f'<!doctype html><html lang="es"><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<h1>{escape(title)}</h1><p>{code}</p><p><a href="/">Qhatu</a></p></html>'
    )


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        code = error.code or 500
        title = titles().get(code, error.name)
        if wants_json():
            return jsonify(error=title), code
        return render_template("errors/error.html", code=code, title=title), code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        with suppress(Exception):  # a broken connection: the pool discards it anyway
            db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        # The database did not answer: 503, and the client may try again shortly.
        code = 503 if isinstance(error, sa.exc.OperationalError) else 500
        title = titles()[code]
        if wants_json():
            response = make_response(jsonify(error=title), code)
        else:
            try:
                body = render_template("errors/error.html", code=code, title=title)
            except Exception:
                # The layout reads the user and the cart, which needs the database.
                body = plain_page(code, title)
            response = make_response(body, code)
        if code == 503:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
