"""Forms of the staff back office: associations, promoter invitations and list filters."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    EmailField,
    Form,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ...formatting import lima_today
from ...labels import CITY_LABELS, WEEKDAY_CHOICES
from ...services.ruc import is_valid_ruc

NOT_IN_LIST = _l("Elige una opción de la lista.")
PHONE = Regexp(r"^\+?[0-9 ]{6,20}$", message=_l("Escribe solo números, por ejemplo 984123456."))


def options(pairs, first: tuple | None = None) -> list[SelectChoice]:
    """Choices for a select or checkbox group, from (value, label) pairs."""
    items = [first, *pairs] if first else list(pairs)
    return [SelectChoice(value, label) for value, label in items]


def strip(value):
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (a fieldset in the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def valid_ruc(form, field) -> None:
    if field.data and not is_valid_ruc(field.data):
        raise ValidationError(
            _l("El RUC no es válido: son 11 dígitos y el último es un dígito de control.")
        )


def founded_year_in_range(form, field) -> None:
    if field.data is not None and not 1900 <= field.data <= lima_today().year:
        raise ValidationError(_l("Escribe un año entre 1900 y %(year)s.", year=lima_today().year))


class AssociationForm(FlaskForm):
    """The association's own data (editing)."""

    name = StringField(
        _l("Nombre"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe el nombre.")), Length(max=160)],
    )
    tagline = StringField(_l("Lema"), filters=[strip], validators=[Optional(), Length(max=200)])
    district = StringField(
        _l("Distrito"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe el distrito.")), Length(max=80)],
    )
    province = StringField(
        _l("Provincia"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe la provincia.")), Length(max=80)],
    )
    region = StringField(
        _l("Región"),
        filters=[strip],
        validators=[DataRequired(_l("Escribe la región.")), Length(max=80)],
    )
    member_families = IntegerField(
        _l("Familias socias"),
        validators=[
            InputRequired(_l("Escribe cuántas familias son socias.")),
            NumberRange(min=0, max=100000, message=_l("Escribe un número entre 0 y 100000.")),
        ],
    )
    founded_year = IntegerField(
        _l("Año de fundación"), validators=[Optional(), founded_year_in_range]
    )
    min_order = DecimalField(
        _l("Pedido mínimo (S/)"),
        places=2,
        default=Decimal("0"),
        validators=[
            InputRequired(_l("Escribe el pedido mínimo en soles (0 si no hay).")),
            NumberRange(min=0, max=1000000, message=_l("Escribe un monto entre 0 y 1000000.")),
        ],
    )
    ruc = StringField(
        _l("RUC"),
        filters=[strip],
        validators=[Optional(), valid_ruc],
    )
    sanitary_registration = StringField(
        _l("Registro sanitario"),
        filters=[strip],
        validators=[Optional(), Length(max=60)],
    )
    contact_phone = StringField(
        _l("Teléfono de contacto"),
        filters=[strip],
        validators=[Optional(), PHONE],
    )


class NewAssociationForm(AssociationForm):
    """A new association with its first delivery rule."""

    delivery_city = SelectField(
        _l("Ciudad de entrega"),
        choices=options(CITY_LABELS.items()),
        invalid_choice_message=NOT_IN_LIST,
        validators=[DataRequired(_l("Elige una ciudad."))],
    )
    delivery_weekdays = CheckboxesField(
        _l("Días de entrega"),
        choices=options(WEEKDAY_CHOICES.items()),
        invalid_choice_message=_l("Elige días de la lista."),
        validators=[DataRequired(_l("Elige al menos un día de entrega."))],
    )
    delivery_lead_days = IntegerField(
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

    status = SelectField(_l("Estado"), choices=options(BUYER_STATUS_CHOICES), default="all")
    city = SelectField(
        _l("Ciudad"), choices=options(CITY_LABELS.items(), first=("", _l("Todas"))), default=""
    )


PROMOTER_STATUS_CHOICES = (
    ("", _l("Todos")),
    ("invited", _l("Invitados")),
    ("active", _l("Activos")),
    ("disabled", _l("Desactivados")),
)


class PromoterFilterForm(Form):
    status = SelectField(_l("Estado"), choices=options(PROMOTER_STATUS_CHOICES), default="")
