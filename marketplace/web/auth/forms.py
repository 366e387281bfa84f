"""Forms for logging in, registering a business, accepting an invitation and one's account."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, ValidationError

from ...extensions import db
from ...labels import BUYER_KIND_LABELS, CITY_LABELS
from ...models import BUYER_KINDS, CITIES
from ...services import accounts
from ...services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from ...services.passwords import TOO_COMMON, TOO_PERSONAL, is_common, is_personal
from ..form_fields import FlaskForm, RucField, choices, strip


def email_field(label=None, **render_kw) -> EmailField:
    return EmailField(
        label or _l("Correo electrónico"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe tu correo.")),
            Email(_l("Escribe un correo válido, por ejemplo nombre@negocio.pe.")),
            Length(max=254, message=_l("El correo es demasiado largo.")),
        ],
        render_kw={"autocomplete": "email", **render_kw},
    )


def guessable(form, field) -> None:
    """A common password, or one that repeats the e-mail or names typed in the same form
    (the service checks the account's own again)."""
    password = field.data or ""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return  # the length validators speak
    if is_common(password):
        raise ValidationError(str(TOO_COMMON))
    email = str(form.email.data or "") if hasattr(form, "email") else ""
    names = tuple(
        str(getattr(form, name).data or "")
        for name in ("name", "legal_name", "trade_name")
        if hasattr(form, name)
    )
    if is_personal(password, email, names):
        raise ValidationError(str(TOO_PERSONAL))


def new_password_fields(label=None) -> tuple[PasswordField, PasswordField]:
    """A new password typed twice, with the length policy checked at the field."""
    password = PasswordField(
        label or _l("Contraseña"),
        validators=[
            DataRequired(_l("Escribe una contraseña.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l(
                    "La contraseña necesita al menos %(n)s caracteres.", n=MIN_PASSWORD_LENGTH
                ),
            ),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("La contraseña es demasiado larga.")),
            guessable,
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repite la contraseña"),
        validators=[
            DataRequired(_l("Repite la contraseña.")),
            EqualTo("password", _l("Las dos contraseñas no coinciden.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


PASSWORD_HINT = _l(
    "Entre %(min)s y %(max)s caracteres, que no sea una contraseña común ni tu correo o el "
    "nombre de tu negocio. Una frase de varias palabras es fácil de recordar y difícil de "
    "adivinar.",
    min=MIN_PASSWORD_LENGTH,
    max=MAX_PASSWORD_LENGTH,
)


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Correo electrónico"),
        validators=[DataRequired(_l("Escribe tu correo.")), Email(_l("Escribe un correo válido."))],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Contraseña"),
        validators=[
            DataRequired(_l("Escribe tu contraseña.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("La contraseña es demasiado larga.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Recordarme en este dispositivo"))


class RegisterForm(FlaskForm):
    """A Horeca or shop and its first user, in one form."""

    legal_name = StringField(
        _l("Razón social"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe la razón social.")),
            Length(max=200, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "organization"},
    )
    trade_name = StringField(
        _l("Nombre comercial"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe el nombre comercial.")),
            Length(max=200, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
    )
    ruc = RucField(required=True)
    kind = SelectField(
        _l("Tipo de negocio"),
        choices=choices(BUYER_KIND_LABELS, first=("", _l("Elige…"))),
        validate_choice=False,
        validators=[AnyOf(BUYER_KINDS, message=_l("Elige el tipo de negocio."))],
    )
    city = SelectField(
        _l("Ciudad"),
        choices=choices(CITY_LABELS, first=("", _l("Elige…"))),
        validate_choice=False,
        validators=[AnyOf(CITIES, message=_l("Elige la ciudad."))],
    )
    address_label = StringField(
        _l("Nombre del lugar de entrega"),
        filters=[strip],
        validators=[
            DataRequired(_l("Dale un nombre a este lugar de entrega.")),
            Length(max=80, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
    )
    address = StringField(
        _l("Dirección de entrega"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe la dirección de entrega.")),
            Length(max=300, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "street-address"},
    )
    name = StringField(
        _l("Tu nombre"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe tu nombre.")),
            Length(max=120, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    password, password_confirm = new_password_fields()

    def validate_ruc(self, field):
        if accounts.ruc_taken(db.session, field.data):
            raise ValidationError(str(accounts.RUC_TAKEN))

    def validate_email(self, field):
        if field.data and accounts.email_taken(db.session, field.data):
            raise ValidationError(str(accounts.EMAIL_TAKEN))


class AcceptInviteForm(FlaskForm):
    password, password_confirm = new_password_fields()


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Nombre"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe tu nombre.")),
            Length(max=120, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(_l("Idioma"), choices=[], validate_choice=False)

    def validate_locale(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(str(_l("Elige uno de los idiomas de la lista.")))


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Contraseña actual"),
        validators=[
            DataRequired(_l("Escribe tu contraseña actual.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("La contraseña es demasiado larga.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = new_password_fields(_l("Contraseña nueva"))
