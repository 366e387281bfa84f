"""Error pages: roll back whatever the request started, answer HTML or JSON."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
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
    }


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
        db.session.rollback()
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        if wants_json():
            return jsonify(error=titles()[500]), 500
        return render_template("errors/error.html", code=500, title=titles()[500]), 500
