"""Every form builds without WTForms deprecation warnings (tuple choices go in WTForms 3.4)."""

import importlib
import inspect
import pkgutil
import warnings

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, FloatField, IntegerField

import marketplace.web
from marketplace.web import form_fields


def form_classes():
    for info in pkgutil.walk_packages(marketplace.web.__path__, "marketplace.web."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == info.name:
                yield cls


def test_no_form_passes_choices_in_a_deprecated_shape(app):
    built = 0
    with app.test_request_context("/"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for cls in form_classes():
            try:
                cls()
            except TypeError:
                continue  # needs arguments: built by its view, with choices it passes then
            built += 1
    assert built > 20
    deprecated = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [m for m in deprecated if "choices" in m.lower()] == []


def test_every_form_reads_numbers_dates_and_files_the_same_way():
    """Numbers, dates and RUCs through the typed fields of web/form_fields.py (plain digits,
    bounds), and every form on its FlaskForm (an uploaded file reaches only a file field)."""
    raw_types = (DecimalField, IntegerField, FloatField, DateField)
    wrong = []
    for cls in form_classes():
        if not issubclass(cls, form_fields.FlaskForm):
            wrong.append(f"{cls.__module__}.{cls.__name__} is not on form_fields.FlaskForm")
        for name, unbound in cls._unbound_fields or inspect.getmembers(cls):
            field_class = getattr(unbound, "field_class", None)
            if field_class in raw_types:
                wrong.append(f"{cls.__name__}.{name} is a bare {field_class.__name__}")
            if name == "ruc" and field_class is not form_fields.RucField:
                wrong.append(f"{cls.__name__}.ruc is not a RucField")
    assert not wrong, "\n".join(wrong)
