"""An association's own data as a form: one set of fields and messages, whether the promoter
edits the profile or the staff create and edit the association."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..formatting import cents_from_soles, lima_today
from .form_fields import (
    PHONE,
    FlaskForm,
    NumberField,
    RucField,
    WholeNumberField,
    max_decimals,
    strip,
)


def not_in_future_year(form, field):
    if field.data is not None and field.data > lima_today().year:
        raise ValidationError(_l("El año no puede ser futuro."))


class AssociationFields(FlaskForm):
    """The fields the promoter's profile and the staff's association form share."""

    tagline = StringField(
        _l("Frase corta"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("Máximo 200 caracteres."))],
    )
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
    member_families = WholeNumberField(
        _l("Familias socias"),
        validators=[
            InputRequired(_l("Escribe cuántas familias son socias.")),
            NumberRange(min=0, max=100000, message=_l("Entre 0 y 100 000.")),
        ],
    )
    founded_year = WholeNumberField(
        _l("Año de fundación"),
        validators=[
            Optional(),
            NumberRange(min=1900, message=_l("Escribe un año desde 1900.")),
            not_in_future_year,
        ],
    )
    contact_phone = StringField(
        _l("Teléfono de contacto"),
        filters=[strip],
        validators=[Optional(), PHONE],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    min_order = NumberField(
        _l("Pedido mínimo (S/)"),
        places=2,
        default=Decimal("0"),
        validators=[
            InputRequired(_l("Escribe el pedido mínimo; 0 si no hay.")),
            NumberRange(min=0, max=1000000, message=_l("Entre 0 y 1 000 000 soles.")),
            max_decimals(2, _l("Usa como máximo dos decimales.")),
        ],
    )
    ruc = RucField()
    sanitary_registration = StringField(
        _l("Registro sanitario"),
        filters=[strip],
        validators=[Optional(), Length(max=60, message=_l("Máximo 60 caracteres."))],
    )

    def values(self) -> dict:
        """The typed values by the services' names (the minimum order in céntimos)."""
        return {
            "tagline": self.tagline.data or "",
            "district": self.district.data,
            "province": self.province.data,
            "region": self.region.data,
            "member_families": self.member_families.data,
            "founded_year": self.founded_year.data,
            "contact_phone": self.contact_phone.data,
            "min_order_cents": cents_from_soles(self.min_order.data),
            "ruc": self.ruc.data,
            "sanitary_registration": self.sanitary_registration.data,
        }
