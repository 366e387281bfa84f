"""The catalog's filters: a GET form, so a filtered catalog is a shareable link."""

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField

from ...labels import CATEGORY_LABELS, CITY_LABELS
from ...models import CATEGORIES, CITIES
from ..form_fields import FlaskForm
from .queries import CatalogFilters

MAX_QUERY_LENGTH = 100


class CatalogFilterForm(FlaskForm):
    """Search and filters; unknown values are ignored rather than refused (old links)."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Buscar"), render_kw={"placeholder": _l("queso, chullpi, Ocongate…")})
    category = SelectField(_l("Categoría"))
    association = SelectField(_l("Asociación"))
    city = SelectField(_l("Entrega en"))

    def __init__(self, association_choices: list[tuple[str, str]], **kwargs):
        super().__init__(**kwargs)
        self.category.choices = [("", _l("Todas"))] + [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
        self.association.choices = [("", _l("Todas"))] + association_choices
        self.city.choices = [("", _l("Cualquier ciudad"))] + [(c, CITY_LABELS[c]) for c in CITIES]

    def filters(self) -> CatalogFilters:
        """The submitted filters, each one dropped if it is not one of its field's choices."""

        def chosen(field: SelectField) -> str:
            allowed = {value for value, _label in field.choices}
            if field.data not in allowed:
                field.data = ""
            return field.data

        return CatalogFilters(
            q=" ".join((self.q.data or "").split())[:MAX_QUERY_LENGTH],
            category=chosen(self.category),
            association=chosen(self.association),
            city=chosen(self.city),
        )
