"""Log in and out, register a business, accept an invitation, one's own account."""

import flask_babel
from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from ...extensions import db, limiter
from ...labels import LANGUAGE_NAMES
from ...models import User
from ...services import DomainError, accounts, logins
from ...types import utcnow
from ..redirects import safe_next
from . import bp
from .forms import (
    PASSWORD_HINT,
    AcceptInviteForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
)


@bp.context_processor
def password_hint() -> dict:
    return {"password_hint": PASSWORD_HINT}


def home_for(user: User) -> str:
    if user.is_staff:
        return url_for("staff.index")
    if user.is_promoter:
        return url_for("producer.index")
    return url_for("buyer.index")


def landing_for(user: User) -> str:
    """The page for the day after signing in: Hoy for a promoter, else the role's home."""
    if user.is_promoter and not user.is_staff:
        return url_for("producer.home")
    return home_for(user)


#: Pages a user who must choose a new password can still reach.
OPEN_DURING_PASSWORD_CHANGE = {
    "auth.new_password",
    "auth.logout",
    "auth.sign_out_everywhere",
    "auth.set_language",
    "static",
}


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def remember_cookie_sent() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def start_session(user: User, remember: bool = False) -> None:
    """Log the user in on a fresh session (no fixation); only the chosen language survives.

    Call it after the commit that made the user: a session must never name a user id
    that a rollback could hand to someone else. The login is kept on the server
    (services/logins.py) until logout.
    """
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    logins.open_login(db.session, user)
    db.session.commit()
    login_user(user, remember=remember)


def end_session() -> None:
    """Forget the user in this browser: the session, and the remember cookie too."""
    logout_user()
    session.clear()
    if remember_cookie_sent():
        session["_remember"] = "clear"  # Flask-Login deletes the cookie on the way out


def wait_message(wait) -> str:
    return _(
        "Demasiados intentos fallidos con esta cuenta. Vuelve a intentarlo en %(minutes)s min.",
        minutes=logins.minutes_to_wait(wait),
    )


def checked_login(form: LoginForm) -> User | None:
    """The user the form's e-mail and password name, counting failures per account; the
    errors go to the password field. A correct password that no longer meets the rules
    marks the account for a change of password."""
    email, password = form.email.data, form.password.data
    wait, wait_if_wrong = logins.start_attempt(db.session, email)
    if wait:
        db.session.rollback()  # refused unheard: not counted
        g.login_wait = wait
        form.password.errors.append(wait_message(wait))
        return None
    user = accounts.authenticate(db.session, email, password)
    if user is None:
        db.session.commit()
        form.password.errors.append(_("Correo o contraseña incorrectos."))
        if wait_if_wrong:
            form.password.errors.append(wait_message(wait_if_wrong))
        return None
    logins.record_successful_login(db.session, email)
    user.last_login_at = utcnow()
    user.password_change_required = accounts.password_needs_change(user, password)
    db.session.commit()
    return user


def login_page(form: LoginForm):
    response = make_response(render_template("auth/login.html", form=form), form_status(form))
    wait = g.get("login_wait")
    if wait:
        response.status_code = 429
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
    return response


@bp.before_app_request
def require_new_password():
    """Someone whose password no longer meets the rules chooses a new one first."""
    if request.endpoint in OPEN_DURING_PASSWORD_CHANGE or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.password_change_required:
        return redirect(url_for("auth.new_password"))
    return None


def show_domain_error(form, error: DomainError) -> None:
    """A service's refusal, shown at its field when the form has one."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def form_status(form) -> int:
    return 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = checked_login(form)
        if user is not None:
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), landing_for(user)), code=303)
    return login_page(form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End this login on the server: its session and remember cookies stop working."""
    if current_user.is_authenticated:
        logins.end_login(db.session, current_user._get_current_object())
        db.session.commit()
    end_session()
    flash(_("Cerraste tu sesión."), "info")
    return redirect(url_for("public.index"), code=303)


@bp.route("/cuenta/cerrar-sesiones", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every login of this user, on every device, this one included."""
    logins.end_all_logins(db.session, current_user._get_current_object())
    db.session.commit()
    end_session()
    flash(_("Cerramos tu sesión en todos tus dispositivos."), "info")
    return redirect(url_for("public.index"), code=303)


@bp.route("/registro", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def register():
    """A Horeca or shop registers itself and its first user; staff verify it later."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data
            for name in (
                "legal_name",
                "trade_name",
                "ruc",
                "kind",
                "city",
                "address_label",
                "address",
                "name",
                "email",
                "password",
            )
        }
        try:
            user = accounts.register_buyer(db.session, **values)
            user.last_login_at = utcnow()
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        except IntegrityError:
            # Someone registered the same RUC or email a moment ago: say which.
            db.session.rollback()
            try:
                accounts.check_registration_unique(db.session, values["ruc"], values["email"])
            except DomainError as error:
                show_domain_error(form, error)
            else:
                raise
        else:
            start_session(user)
            flash(
                _(
                    "¡Bienvenido a Qhatu! Registramos %(business)s. Nuestro equipo verificará "
                    "los datos del negocio (RUC y razón social) y te avisará.",
                    business=user.buyer.trade_name,
                ),
                "info",
            )
            return redirect(url_for("buyer.index"), code=303)
    return render_template("auth/register.html", form=form), form_status(form)


@bp.route("/invitacion/<token>", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def accept_invite(token: str):
    """An invited promoter or colleague chooses a password and is logged in."""
    invited = accounts.user_for_invite(db.session, token)
    if invited is None:
        response = make_response(render_template("auth/invite_invalid.html"), 404)
    else:
        form = AcceptInviteForm()
        if form.validate_on_submit():
            try:
                user = accounts.accept_invite(db.session, token, form.password.data)
            except DomainError as error:
                show_domain_error(form, error)
            else:
                user.last_login_at = utcnow()
                db.session.commit()
                start_session(user)
                flash(_("Listo, %(name)s: ya tienes tu cuenta en Qhatu.", name=user.name), "info")
                return redirect(home_for(user), code=303)
        response = make_response(
            render_template("auth/accept_invite.html", form=form, invited=invited),
            form_status(form),
        )
    # The link is a secret: keep it out of caches and out of other sites' logs.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def profile_form(formdata=None) -> ProfileForm:
    """The name-and-language form, filled with the user's current values."""
    form = ProfileForm(
        formdata=formdata,
        data={"name": current_user.name, "locale": flask_babel.get_locale().language},
    )
    form.locale.choices = [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]
    return form


def render_account(profile: ProfileForm, password: PasswordForm):
    status = 400 if profile.errors or password.errors else 200
    return render_template("auth/account.html", profile=profile, password=password), status


@bp.route("/cuenta", methods=["GET", "POST"])
@login_required
def account():
    """One's own name and language (and, below, the password form)."""
    profile = profile_form(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and profile.validate():
        try:
            accounts.update_profile(
                db.session, current_user, profile.name.data, profile.locale.data
            )
        except DomainError as error:
            show_domain_error(profile, error)
        else:
            db.session.commit()
            session["lang"] = profile.locale.data
            flask_babel.refresh()  # the confirmation below speaks the new language
            flash(_("Guardamos tus datos."), "info")
            return redirect(url_for("auth.account"), code=303)
    return render_account(profile, PasswordForm(formdata=None))


def password_changed(form: PasswordForm) -> bool:
    """Change the user's password from the form; on success this browser gets a new login
    and every other one ends."""
    if not form.validate_on_submit():
        return False
    user = current_user._get_current_object()
    try:
        accounts.change_password(db.session, user, form.current_password.data, form.password.data)
    except DomainError as error:
        show_domain_error(form, error)
        return False
    db.session.commit()
    start_session(user, remember=remember_cookie_sent())
    flash(_("Cambiamos tu contraseña. Cerramos tus sesiones en otros dispositivos."), "info")
    return True


@bp.route("/cuenta/contrasena", methods=["POST"])
@limiter.limit(login_limit)
@login_required
def change_password():
    """Change one's own password; every other session of this user ends."""
    form = PasswordForm()
    if password_changed(form):
        return redirect(url_for("auth.account"), code=303)
    return render_account(profile_form(), form)


@bp.route("/cuenta/contrasena-nueva", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@login_required
def new_password():
    """The password no longer meets the rules: the user chooses a new one before going on."""
    if not current_user.password_change_required:
        return redirect(home_for(current_user), code=303)
    form = PasswordForm()
    if password_changed(form):
        return redirect(home_for(current_user), code=303)
    return render_template("auth/new_password.html", form=form), form_status(form)


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
