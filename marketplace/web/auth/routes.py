"""Log in, log out, choose a language."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...extensions import db, limiter
from ...models import User
from ...types import utcnow
from . import bp
from .forms import LoginForm


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths are followed after login; anything with a host or scheme is not."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


def home_for(user: User) -> str:
    if user.is_staff:
        return url_for("staff.index")
    if user.is_promoter:
        return url_for("producer.index")
    return url_for("buyer.index")


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None or not user.active or not user.check_password(form.password.data):
            form.password.errors.append(_("Correo o contraseña incorrectos."))
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session at login: no fixation
            if lang:
                session["lang"] = lang
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), home_for(user)), code=303)
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("Cerraste tu sesión."), "info")
    return redirect(url_for("public.index"), code=303)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen language in the session, a cookie and the user's profile."""
    if code not in current_app.config["LANGUAGES"]:
        return redirect(url_for("public.index"), code=303)
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    response = make_response(
        redirect(safe_next(request.form.get("next"), url_for("public.index")), code=303)
    )
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
