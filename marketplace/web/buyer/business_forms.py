"""Forms of the buyer's business page: colleagues and delivery addresses."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ...labels import CITY_LABELS
from ...models import CITIES
from ..form_fields import FlaskForm, strip


class ColleagueForm(FlaskForm):
    name = StringField(
        _l("Nombre de tu colega"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe el nombre de tu colega.")),
            Length(max=120, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Correo de tu colega"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe el correo de tu colega.")),
            Email(_l("Escribe un correo válido, por ejemplo nombre@negocio.pe.")),
            Length(max=254, message=_l("El correo es demasiado largo.")),
        ],
        render_kw={"autocomplete": "off"},
    )


class AddressForm(FlaskForm):
    label = StringField(
        _l("Nombre del lugar"),
        filters=[strip],
        validators=[
            DataRequired(_l("Dale un nombre a este lugar de entrega.")),
            Length(max=80, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
    )
    address = StringField(
        _l("Dirección"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe la dirección.")),
            Length(max=300, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
        render_kw={"autocomplete": "street-address"},
    )
    city = SelectField(
        _l("Ciudad"),
        choices=[SelectChoice(value, label) for value, label in CITY_LABELS.items()],
        validate_choice=False,
        validators=[AnyOf(CITIES, message=_l("Elige la ciudad."))],
    )
    notes = StringField(
        _l("Indicaciones para la entrega (opcional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300, message=_l("Usa como máximo %(max)d caracteres.")),
        ],
    )
