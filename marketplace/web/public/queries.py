"""What the public may see, as queries: active products of verified associations.

Every query loads what its page shows up front (association with the product, photos and
delivery rules with the association), so a page costs the same few queries whatever its size.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, selectinload

from ...models import Association, DeliveryRule, Product

# Folded in SQL and in Python alike, so "Maíz", "MAÍZ" and "maiz" compare equal on SQLite
# (whose lower() only knows ASCII) and on PostgreSQL.
ACCENTS = {
    "á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n",
    "Á": "A", "É": "E", "Í": "I", "Ó": "O", "Ú": "U", "Ü": "U", "Ñ": "N",
    "à": "a", "è": "e", "ì": "i", "ò": "o", "ù": "u",
    "À": "A", "È": "E", "Ì": "I", "Ò": "O", "Ù": "U",
}  # fmt: skip
_FOLD_TABLE = str.maketrans(ACCENTS)
MAX_SEARCH_WORDS = 6


@dataclass(frozen=True)
class CatalogFilters:
    q: str = ""
    category: str = ""
    association: str = ""  # slug
    city: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.category or self.association or self.city)


def fold(text: str) -> str:
    """Lower case without accents: 'Maíz Chullpi' -> 'maiz chullpi'."""
    return text.translate(_FOLD_TABLE).lower()


def folded(column) -> sa.ColumnElement[str]:
    """The SQL twin of fold(): replace each accented letter, then lower()."""
    expr = column
    for accented, plain in ACCENTS.items():
        expr = sa.func.replace(expr, accented, plain)
    return sa.func.lower(expr)


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str) -> sa.ColumnElement[bool] | None:
    """Every word must appear in the product's name, variety, description or association."""
    words = fold(q).split()[:MAX_SEARCH_WORDS]
    if not words:
        return None
    columns = [Product.name, Product.variety, Product.description, Association.name]
    return sa.and_(
        *(
            sa.or_(*(folded(col).like(f"%{escape_like(w)}%", escape="\\") for col in columns))
            for w in words
        )
    )


def public_products(*association_options) -> sa.Select:
    """Active products of verified associations, each with its association loaded."""
    return (
        sa.select(Product)
        .join(Product.association)
        .where(Product.active.is_(True), Association.verified_at.is_not(None))
        .options(contains_eager(Product.association).options(*association_options))
    )


def catalog(filters: CatalogFilters) -> sa.Select:
    """The catalog page's products, filtered, in a stable order."""
    stmt = public_products()
    if filters.category:
        stmt = stmt.where(Product.category == filters.category)
    if filters.association:
        stmt = stmt.where(Association.slug == filters.association)
    if filters.city:
        delivering = sa.select(DeliveryRule.association_id).where(DeliveryRule.city == filters.city)
        stmt = stmt.where(Product.association_id.in_(delivering))
    condition = search_condition(filters.q)
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.order_by(Product.name, Product.id)


def public_product(session: Session, product_id: int) -> Product | None:
    stmt = public_products(selectinload(Association.delivery_rules)).where(Product.id == product_id)
    return session.scalar(stmt)


def verified_associations() -> sa.Select:
    return sa.select(Association).where(Association.verified_at.is_not(None))


def association_choices(session: Session) -> list[tuple[str, str]]:
    """(slug, name) of every public association, for the catalog's filter."""
    stmt = sa.select(Association.slug, Association.name).where(Association.verified_at.is_not(None))
    return [tuple(row) for row in session.execute(stmt.order_by(Association.name))]


def association_list(session: Session) -> list[Association]:
    stmt = (
        verified_associations()
        .options(selectinload(Association.photos), selectinload(Association.delivery_rules))
        .order_by(Association.name)
    )
    return list(session.scalars(stmt))


def public_association(session: Session, slug: str) -> Association | None:
    stmt = (
        verified_associations()
        .where(Association.slug == slug)
        .options(selectinload(Association.photos), selectinload(Association.delivery_rules))
    )
    return session.scalar(stmt)


def association_products(session: Session, association: Association) -> list[Product]:
    stmt = public_products().where(Product.association_id == association.id)
    return list(session.scalars(stmt.order_by(Product.category, Product.name, Product.id)))
