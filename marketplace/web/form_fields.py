"""Form pieces every audience uses: typed numbers, trimmed text, phones, choices, checkboxes."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, SelectChoice, SelectMultipleField
from wtforms.validators import Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

PHONE = Regexp(r"^\+?[0-9 ]{6,20}$", message=_l("Escribe un teléfono: solo números y +."))


def choices(labels, only=None, first: tuple | None = None) -> list[SelectChoice]:
    """Options from a {value: label} mapping or (value, label) pairs: `only` keeps some
    values, `first` goes before them (an empty "choose" or "all" option)."""
    pairs = labels.items() if isinstance(labels, Mapping) else labels
    options = [
        SelectChoice(value, label) for value, label in pairs if only is None or value in only
    ]
    return [SelectChoice(*first), *options] if first else options


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (a fieldset in the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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


def strip(value):
    return value.strip() if isinstance(value, str) else value


def max_decimals(places: int, message):
    def check(form, field):
        if field.data is not None and field.data != field.data.quantize(Decimal(10) ** -places):
            raise ValidationError(message)

    return check
