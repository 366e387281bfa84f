"""`flask create-staff`: the way platform staff accounts come to exist."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import User
from tests.factories import BuyerUserFactory, StaffFactory

PASSWORD = "una clave larga de staff"


def create_staff(runner, email="Equipo@Qhatu.pe", password=PASSWORD, name="Equipo Qhatu"):
    return runner.invoke(
        args=["create-staff", "--email", email, "--name", name, "--password", password]
    )


def test_creates_a_staff_user_who_can_log_in(runner, client, auth):
    result = create_staff(runner)
    assert result.exit_code == 0, result.output
    assert "equipo@qhatu.pe" in result.output.lower()
    db.session.expire_all()
    user = db.session.scalars(sa.select(User).where(User.email == "equipo@qhatu.pe")).one()
    assert user.role == "staff" and user.name == "Equipo Qhatu"
    assert user.password_hash and PASSWORD not in user.password_hash
    response = auth.login("equipo@qhatu.pe", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_prompts_for_the_password_twice(runner):
    result = runner.invoke(
        args=["create-staff", "--email", "equipo@qhatu.pe", "--name", "Equipo"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.role).where(User.email == "equipo@qhatu.pe")) == (
        "staff"
    )


def test_refuses_a_short_password(runner):
    result = create_staff(runner, password="corta")
    assert result.exit_code != 0
    assert "12 characters" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_refuses_an_email_used_by_a_buyer(runner, auth):
    buyer = BuyerUserFactory(email="chef@chicha.pe")
    db.session.commit()
    result = create_staff(runner, email="CHEF@chicha.pe")
    assert result.exit_code != 0
    assert "buyer" in result.output
    db.session.expire_all()
    assert db.session.get(User, buyer.id).role == "buyer"
    # The buyer's own password still works: nothing was changed.
    assert auth.login("chef@chicha.pe").status_code == 303


def test_resets_the_password_of_an_existing_staff_user(runner, auth):
    StaffFactory(email="equipo@qhatu.pe")
    db.session.commit()
    result = create_staff(runner)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert auth.login("equipo@qhatu.pe", PASSWORD).status_code == 303


def test_refuses_a_common_or_personal_password(runner):
    result = create_staff(runner, password="password1234")
    assert result.exit_code != 0
    assert "very common" in result.output
    result = create_staff(runner, password="equipoqhatu2026")
    assert result.exit_code != 0
    assert "too much like your e-mail" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
