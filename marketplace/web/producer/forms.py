"""The promoter's forms: profile, story, photos, delivery rules, products and stock."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ...labels import CATEGORY_LABELS, CITY_LABELS, UNIT_NAMES, WEEKDAY_CHOICES
from ...models import CITIES
from ...numbers import MAX_QUANTITY, NotANumber, parse_decimal
from ..association_fields import AssociationFields
from ..form_fields import (
    CheckboxesField,
    FlaskForm,
    NumberField,
    WholeNumberField,
    choices,
    max_decimals,
)
from ..form_keys import FormKeyField


def greater_than_zero(message):
    def check(form, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(message)

    return check


class ProfileForm(AssociationFields):
    """The association's profile as its promoter keeps it."""


class StoryForm(FlaskForm):
    story_people = TextAreaField(
        _l("Quiénes somos"),
        validators=[Optional(), Length(max=4000, message=_l("Máximo 4000 caracteres."))],
    )
    story_practice = TextAreaField(
        _l("Cómo trabajamos"),
        validators=[Optional(), Length(max=4000, message=_l("Máximo 4000 caracteres."))],
    )
    story_benefit = TextAreaField(
        _l("Cómo se benefician las familias"),
        validators=[Optional(), Length(max=4000, message=_l("Máximo 4000 caracteres."))],
    )


class PhotoForm(FlaskForm):
    photo = FileField(
        _l("Foto (JPEG, PNG o WebP, hasta 5 MB)"),
        validators=[FileRequired(_l("Elige una foto."))],
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    alt_text = StringField(
        _l("Qué se ve en la foto"),
        validators=[
            DataRequired(_l("Describe la foto para quien no puede verla.")),
            Length(max=200, message=_l("Máximo 200 caracteres.")),
        ],
    )


class DeliveryRuleForm(FlaskForm):
    city = SelectField(
        _l("Ciudad"),
        choices=choices(CITY_LABELS, CITIES),
        validators=[DataRequired(_l("Elige una ciudad."))],
        validate_choice=False,  # the service says which cities exist, in Spanish
    )
    weekdays = CheckboxesField(
        _l("Días de entrega"),
        choices=choices(WEEKDAY_CHOICES),
        validate_choice=False,
    )
    lead_days = WholeNumberField(
        _l("Días de anticipación"),
        validators=[
            InputRequired(_l("Escribe con cuántos días de anticipación necesitan el pedido.")),
            NumberRange(min=0, max=30, message=_l("Entre 0 y 30 días.")),
        ],
    )

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Elige al menos un día de entrega."))


class ProductForm(FlaskForm):
    name = StringField(
        _l("Nombre"),
        validators=[
            DataRequired(_l("Escribe el nombre del producto.")),
            Length(max=160, message=_l("Máximo 160 caracteres.")),
        ],
    )
    category = SelectField(
        _l("Categoría"),
        choices=choices(CATEGORY_LABELS),
        validators=[DataRequired(_l("Elige una categoría."))],
        validate_choice=False,
    )
    variety = StringField(
        _l("Variedad"),
        validators=[
            DataRequired(_l("Escribe la variedad.")),
            Length(max=80, message=_l("Máximo 80 caracteres.")),
        ],
    )
    description = TextAreaField(
        _l("Descripción"),
        validators=[Optional(), Length(max=4000, message=_l("Máximo 4000 caracteres."))],
    )
    unit = SelectField(
        _l("Unidad de venta"),
        choices=choices(UNIT_NAMES),
        validators=[DataRequired(_l("Elige una unidad de venta."))],
        validate_choice=False,
    )
    weight_per_unit_kg = NumberField(
        _l("Peso por unidad (kg)"),
        validators=[
            InputRequired(_l("Escribe el peso de una unidad en kg.")),
            greater_than_zero(_l("El peso tiene que ser mayor que cero.")),
            max_decimals(3, _l("Usa como máximo tres decimales (gramos).")),
        ],
    )
    price = NumberField(
        _l("Precio por unidad (S/, sin IGV)"),
        validators=[
            InputRequired(_l("Escribe el precio en soles.")),
            greater_than_zero(_l("El precio tiene que ser mayor que cero.")),
            max_decimals(2, _l("Usa como máximo dos decimales.")),
        ],
    )
    samples_offered = BooleanField(_l("Ofrecemos muestras"))
    shelf_life_days = WholeNumberField(
        _l("Vida útil (días)"),
        validators=[Optional(), NumberRange(min=1, max=3650, message=_l("Entre 1 y 3650 días."))],
    )
    active = BooleanField(_l("A la venta"), default=True)
    photo = FileField(
        _l("Foto (opcional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class StockForm(FlaskForm):
    """One number and two actions: set the counted quantity, or add new production."""

    quantity = NumberField(
        _l("Cantidad"),
        validators=[
            InputRequired(_l("Escribe una cantidad.")),
            NumberRange(min=0, message=_l("La cantidad no puede ser negativa.")),
            max_decimals(3, _l("Usa como máximo tres decimales.")),
        ],
    )
    seen_on_hand = HiddenField()
    form_key = FormKeyField()
    count = SubmitField(_l("Guardar conteo"))
    produce = SubmitField(_l("Sumar producción"))

    def seen(self) -> Decimal | None:
        """The stock figure the promoter was looking at, if the form carried it."""
        try:
            return parse_decimal(self.seen_on_hand.data, max_value=MAX_QUANTITY)
        except NotANumber:
            return None
