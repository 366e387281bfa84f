"""`flask audit`: every registered integrity check, exit code 1 when any finds something."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import Product
from marketplace.models.catalog import REASON_PRODUCTION
from marketplace.ops import checks
from marketplace.services.stock import move_stock
from tests.factories import ProductFactory


def stocked_product(quantity: str = "12") -> Product:
    product = ProductFactory()
    db.session.flush()
    move_stock(db.session, product.id, Decimal(quantity), REASON_PRODUCTION)
    db.session.commit()
    return product


def test_a_clean_database_has_no_findings(runner):
    stocked_product()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 0
    assert result.output.strip() == "integrity: no findings"


def test_stock_that_differs_from_its_ledger_is_reported(runner):
    product = stocked_product("12")
    db.session.execute(
        sa.update(Product).where(Product.id == product.id).values(stock_on_hand=Decimal("15"))
    )
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert f"stock: product {product.id}: stock 15" in result.output
    assert "ledger sums to 12" in result.output
    assert "no findings" not in result.output


@pytest.fixture
def without_stock_check_constraint(app):
    """Let a negative stock in for this test only (the database refuses it otherwise)."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection  # the pragma belongs to this connection
        raw.execute("PRAGMA ignore_check_constraints = ON")
        yield
        raw.execute("PRAGMA ignore_check_constraints = OFF")
        db.session.rollback()
    else:
        # DDL is transactional in PostgreSQL: the rollback puts the constraint back.
        conn.exec_driver_sql("ALTER TABLE products DROP CONSTRAINT ck_products_stock_not_negative")
        yield
        db.session.rollback()


def test_negative_stock_is_reported(runner, without_stock_check_constraint):
    product = ProductFactory(stock_on_hand=Decimal("-3"))
    db.session.flush()  # not committed: the audit runs in this same session
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert f"stock: product {product.id}: stock on hand -3" in result.output
    assert "is negative" in result.output


def test_the_old_command_name_still_works(runner):
    assert runner.invoke(args=["check-integrity"]).output.strip() == "integrity: no findings"


def test_a_registered_check_joins_the_audit(runner, monkeypatch):
    monkeypatch.setattr(checks, "CHECKS", dict(checks.CHECKS))

    @checks.check("invoices")
    def invoice_numbers_have_no_gaps(session):
        yield "invoice F001-00000007 is missing"

    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert "invoices: invoice F001-00000007 is missing" in result.output


def placed_order():
    from tests.factories import ordering_world, place_order

    w = ordering_world()
    [order] = place_order(w.buyer_user, w.address, [(w.cheese, "3")])
    db.session.commit()
    return order


def test_an_order_whose_subtotal_differs_from_its_lines_is_reported(runner):
    from marketplace.models import Order

    order = placed_order()
    assert runner.invoke(args=["audit"]).exit_code == 0
    db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id)
        .values(subtotal_cents=Order.subtotal_cents + 100, total_cents=Order.total_cents + 100)
    )
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert f"orders: order {order.id}: subtotal 8650 but its lines add up to 8550" in result.output


def test_a_line_that_does_not_cost_its_price_times_its_quantity_is_reported(runner):
    from marketplace.models import OrderLine

    order = placed_order()
    line = order.lines[0]
    db.session.execute(
        sa.update(OrderLine).where(OrderLine.id == line.id).values(unit_price_cents=2000)
    )
    db.session.commit()
    result = runner.invoke(args=["audit"])
    assert result.exit_code == 1
    assert f"orders: order {order.id}: line {line.id} costs 8550 for 3.000 at 2000" in result.output
