"""Stored photos, served by their server-chosen names; public and cached for good."""

from flask import Blueprint, abort, current_app, send_from_directory

from ..services.photos import is_valid_stem

bp = Blueprint("media", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.route("/media/<stem>-<any(thumb, medium):size>.webp")
def image(stem: str, size: str):
    """One rendition of a photo; a stem never changes content, so caches may keep it forever."""
    if not is_valid_stem(stem):
        abort(404)
    response = send_from_directory(
        current_app.config["UPLOAD_DIR"],
        f"{stem}-{size}.webp",
        mimetype="image/webp",
        max_age=ONE_YEAR,
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
