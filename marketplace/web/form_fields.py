"""Form pieces every audience uses: typed numbers, trimmed text, phones, choices, checkboxes."""

from collections.abc import Mapping
from decimal import Decimal

import flask_wtf
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Optional, Regexp, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from ..numbers import (
    MAX_ID,
    NotANumber,
    parse_date,
    parse_decimal,
    parse_id,
    parse_whole,
)
from ..services.ruc import normalise_ruc, ruc_problem

# wtforms' own wording for a date it cannot read, translated by wtforms' catalogs.
WTFORMS_DATE_MESSAGE = "Not a valid date value."
PHONE = Regexp(r"^\+?[0-9 ]{6,20}$", message=_l("Escribe un teléfono: solo números y +."))


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form, where an uploaded file reaches only a file field: a text or number
    field sent as a file part reads as not sent (its own "required" message), never a 500."""

    class Meta(flask_wtf.FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if not isinstance(data, CombinedMultiDict):
                return data
            names = {field.name for field in form if isinstance(field, FileField)}
            files = MultiDict([(k, v) for k, v in request.files.items(multi=True) if k in names])
            return CombinedMultiDict((files, request.form))


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
    """A decimal typed on a phone: '2,5' and '2.5' both mean two and a half.

    Read by `numbers.parse_decimal` (plain digits, one separator, at most 12 digits before
    it); beyond `max_value` (a sum that must fit a column the service does not check) or
    not a number: `message`.
    """

    widget = TextInput()

    def __init__(
        self, label=None, validators=None, places=None, max_value=None, message=None, **kw
    ):
        kw.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, places=places, **kw)
        self.max_value = max_value
        self.message = message or _l("Escribe un número, por ejemplo 12.5.")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_decimal(valuelist[0], max_value=self.max_value)
        except NotANumber:
            self.data = None
            raise ValueError(self.message) from None


class WholeNumberField(IntegerField):
    """An integer in plain digits (up to `max_value`), with a Spanish message otherwise."""

    def __init__(self, label=None, validators=None, max_value=MAX_ID, message=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)
        self.max_value = max_value
        self.message = message or _l("Escribe un número entero.")

    def process_formdata(self, valuelist):
        if not valuelist:
            self.data = None
            return
        try:
            self.data = parse_whole(valuelist[0], max_value=self.max_value)
        except NotANumber:
            self.data = None
            raise ValueError(self.message) from None


class DayField(DateField):
    """A date as YYYY-MM-DD within the years the marketplace serves (`numbers.parse_date`)."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = parse_date(valuelist[0])
        if self.data is None:
            raise ValueError(self.message or self.gettext(WTFORMS_DATE_MESSAGE))


class RucField(StringField):
    """Peru's RUC, read the same way by every form: spaces around and between the digit
    groups go, then `ruc_problem` says what is wrong (letters, length, prefix, check digit).
    Optional unless `required`; an empty optional RUC is ''."""

    def __init__(self, label=None, validators=None, required=False, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        kwargs["render_kw"].setdefault("autocomplete", "off")
        first = [] if required else [Optional()]
        super().__init__(
            label or _l("RUC"),
            [*first, *(validators or []), check_ruc],
            filters=[normalise_ruc],
            **kwargs,
        )


def check_ruc(form, field) -> None:
    problem = ruc_problem(field.data or "")
    if problem:
        raise StopValidation(str(problem))


def coerce_id(value) -> int:
    """`coerce` for a select of record ids: a plain id in the database's range or a
    ValueError (the field's "not a valid choice")."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    found = parse_id(value)
    if found is None:
        raise ValueError(value)
    return found


def strip(value):
    return value.strip() if isinstance(value, str) else value


def max_decimals(places: int, message):
    def check(form, field):
        if field.data is not None and field.data != field.data.quantize(Decimal(10) ** -places):
            raise ValidationError(message)

    return check
