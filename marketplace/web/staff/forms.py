"""Forms of the staff back office: associations, promoter invitations and list filters."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    Form,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from ...labels import CITY_LABELS, WEEKDAY_CHOICES
from ..association_fields import AssociationFields
from ..form_fields import PHONE, CheckboxesField, FlaskForm, WholeNumberField, choices, strip

NOT_IN_LIST = _l("Elige una opción de la lista.")


class AssociationForm(AssociationFields):
    """The association's own data (editing)."""

    name = StringField(
        _l("Nombre"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe el nombre.")), Length(max=160)],
    )


class NewAssociationForm(AssociationForm):
    """A new association with its first delivery rule."""

    delivery_city = SelectField(
        _l("Ciudad de entrega"),
        choices=choices(CITY_LABELS),
        invalid_choice_message=NOT_IN_LIST,
        validators=[DataRequired(_l("Elige una ciudad."))],
    )
    delivery_weekdays = CheckboxesField(
        _l("Días de entrega"),
        choices=choices(WEEKDAY_CHOICES),
        invalid_choice_message=_l("Elige días de la lista."),
        validators=[DataRequired(_l("Elige al menos un día de entrega."))],
    )
    delivery_lead_days = WholeNumberField(
        _l("Días de anticipación"),
        default=2,
        validators=[
            InputRequired(_l("Escribe cuántos días antes necesita el pedido.")),
            NumberRange(min=0, max=60, message=_l("Escribe un número entre 0 y 60.")),
        ],
    )


class InvitePromoterForm(FlaskForm):
    name = StringField(
        _l("Nombre"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe el nombre.")), Length(max=120)],
    )
    email = EmailField(
        _l("Correo electrónico"),
        filters=[strip],
        validators=[
            DataRequired(_l("Escribe el correo.")),
            Email(_l("Escribe un correo válido.")),
            Length(max=254),
        ],
    )
    phone = StringField(_l("Teléfono (opcional)"), filters=[strip], validators=[Optional(), PHONE])


BUYER_STATUS_CHOICES = (
    ("all", _l("Todos")),
    ("pending", _l("Por verificar")),
    ("verified", _l("Verificados")),
)


class BuyerFilterForm(Form):
    """The buyer list's filter, read from the query string (a GET form, no CSRF)."""

    status = SelectField(_l("Estado"), choices=choices(BUYER_STATUS_CHOICES), default="all")
    city = SelectField(
        _l("Ciudad"), choices=choices(CITY_LABELS, first=("", _l("Todas"))), default=""
    )


PROMOTER_STATUS_CHOICES = (
    ("", _l("Todos")),
    ("invited", _l("Invitados")),
    ("active", _l("Activos")),
    ("disabled", _l("Desactivados")),
)


class PromoterFilterForm(Form):
    status = SelectField(_l("Estado"), choices=choices(PROMOTER_STATUS_CHOICES), default="")
