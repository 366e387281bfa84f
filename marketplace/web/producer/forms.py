"""The promoter's forms: profile, story, photos, delivery rules, products and stock."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
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
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from ...formatting import lima_today
from ...labels import CATEGORY_LABELS, CITY_LABELS, UNIT_NAMES, WEEKDAY_CHOICES
from ...models import CITIES


def choices(names: dict, only=None) -> list[SelectChoice]:
    """Select options from a code -> label mapping, optionally limited to some codes."""
    return [
        SelectChoice(code, label) for code, label in names.items() if only is None or code in only
    ]


class NumberField(DecimalField):
    """A decimal typed on a phone: '2,5' and '2.5' both mean two and a half."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, places=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, places=places, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace(" ", "")
        if not raw:
            self.data = None
            return
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(_l("Escribe un número, por ejemplo 12.5.")) from None
        if not value.is_finite():
            self.data = None
            raise ValueError(_l("Escribe un número, por ejemplo 12.5."))
        self.data = value


class WholeNumberField(IntegerField):
    """An integer with a Spanish message when it is not one."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Escribe un número entero.")) from None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def max_decimals(places: int, message):
    def check(form, field):
        if field.data is not None and field.data != field.data.quantize(Decimal(10) ** -places):
            raise ValidationError(message)

    return check


def greater_than_zero(message):
    def check(form, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(message)

    return check


def not_in_future_year(form, field):
    if field.data is not None and field.data > lima_today().year:
        raise ValidationError(_l("El año no puede ser futuro."))


PHONE = Regexp(r"^\+?[0-9 ]{6,20}$", message=_l("Escribe un teléfono: solo números y +."))


class ProfileForm(FlaskForm):
    tagline = StringField(
        _l("Frase corta"),
        validators=[Optional(), Length(max=200, message=_l("Máximo 200 caracteres."))],
    )
    district = StringField(
        _l("Distrito"),
        validators=[DataRequired(_l("Escribe el distrito.")), Length(max=80)],
    )
    province = StringField(
        _l("Provincia"),
        validators=[DataRequired(_l("Escribe la provincia.")), Length(max=80)],
    )
    region = StringField(
        _l("Región"),
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
        validators=[Optional(), PHONE],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    min_order = NumberField(
        _l("Pedido mínimo (S/)"),
        validators=[
            InputRequired(_l("Escribe el pedido mínimo; 0 si no hay.")),
            NumberRange(min=0, max=1000000, message=_l("Entre 0 y 1 000 000 soles.")),
            max_decimals(2, _l("Usa como máximo dos decimales.")),
        ],
    )
    ruc = StringField(
        _l("RUC"),
        validators=[
            Optional(),
            Regexp(r"^[0-9]{11}$", message=_l("El RUC tiene 11 dígitos.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    sanitary_registration = StringField(
        _l("Registro sanitario"),
        validators=[Optional(), Length(max=60, message=_l("Máximo 60 caracteres."))],
    )


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
    weekdays = MultiCheckboxField(
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
    count = SubmitField(_l("Guardar conteo"))
    produce = SubmitField(_l("Sumar producción"))

    def seen(self) -> Decimal | None:
        """The stock figure the promoter was looking at, if the form carried it."""
        try:
            return Decimal(self.seen_on_hand.data) if self.seen_on_hand.data else None
        except InvalidOperation:
            return None
