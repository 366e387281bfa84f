"""RUC validation: the check digit, the length, the prefix and the characters allowed."""

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import Association, Buyer
from marketplace.services.accounts import ruc_problem
from marketplace.services.ruc import is_valid_ruc, make_ruc, ruc_check_digit
from tests.conftest import text
from tests.factories import PromoterFactory, StaffFactory
from tests.web.test_auth_register import form as register_form
from tests.web.test_producer import profile_form
from tests.web.test_staff_associations import new_association_form


@pytest.mark.parametrize(
    "ruc",
    [
        "20131312955",  # SUNAT's own RUC
        # Check digits worked out by hand: 11 - (sum of the digits times 5 4 3 2 7 6 5 4 3 2)
        # mod 11, with 10 -> 0 and 11 -> 1.
        "20600000013",
        "10456789019",
        "20100000009",
        "15123456782",
    ],
)
def test_valid_rucs_are_accepted(ruc):
    assert is_valid_ruc(ruc)


def test_make_ruc_appends_the_computed_check_digit():
    assert make_ruc("2013131295") == "20131312955"
    assert ruc_check_digit("2013131295") == 5


def test_every_other_last_digit_is_refused():
    for digit in "0123456789":
        candidate = "2013131295" + digit
        assert is_valid_ruc(candidate) is (digit == "5")


@given(
    prefix=st.sampled_from(["10", "15", "16", "17", "20"]),  # persons, companies, ...
    body=st.text(alphabet="0123456789", min_size=8, max_size=8),
    wrong=st.integers(min_value=1, max_value=9),
)
def test_a_changed_check_digit_is_always_refused(prefix, body, wrong):
    ruc = make_ruc(prefix + body)
    assert is_valid_ruc(ruc)
    bad = ruc[:10] + str((int(ruc[10]) + wrong) % 10)
    assert not is_valid_ruc(bad)


@pytest.mark.parametrize(
    "value",
    [
        "2013131295",  # ten digits
        "201313129555",  # twelve
        "",
        "2",
    ],
)
def test_wrong_length_is_refused(value):
    assert not is_valid_ruc(value)


@pytest.mark.parametrize("value", ["2013131295A", "20-13131295", "ABCDEFGHIJK", "2013131295 "])
def test_letters_and_symbols_are_refused(value):
    assert not is_valid_ruc(value)


def test_non_ascii_digits_are_refused():
    arabic_indic = "٢٠١٣١٣١٢٩٥٥"  # 20131312955 in Arabic-Indic digits: isdigit() is True
    fullwidth = "２０１３１３１２９５５"
    assert arabic_indic.isdigit() and fullwidth.isdigit()
    assert not is_valid_ruc(arabic_indic)
    assert not is_valid_ruc(fullwidth)


@pytest.mark.parametrize("prefix", ["11", "00", "30", "99", "21"])
def test_unknown_prefix_is_refused_even_with_a_right_check_digit(prefix):
    assert not is_valid_ruc(make_ruc(prefix + "12345678"))


def test_not_a_string_is_refused():
    assert not is_valid_ruc(20131312955)  # type: ignore[arg-type]
    assert not is_valid_ruc(None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def spanish(tmp_path_factory):
    """A request context in Spanish, without a database: messages are translated lazily."""
    folder = tmp_path_factory.mktemp("ruc")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'unused.db'}",
            "UPLOAD_DIR": str(folder / "uploads"),
        }
    )
    with app.test_request_context():
        yield


@pytest.mark.usefixtures("spanish")
class TestProblemMessages:
    """Each way a typed RUC can be wrong gets its own Spanish explanation."""

    def test_valid_has_no_problem(self):
        assert ruc_problem("20131312955") is None
        assert ruc_problem(" 201 3131 2955 ") is None  # spaces people type are ignored

    def test_letters(self):
        assert "solo lleva números" in str(ruc_problem("2013131295A"))
        assert "solo lleva números" in str(ruc_problem("٢٠١٣١٣١٢٩٥٥"))

    def test_length(self):
        assert str(ruc_problem("2013131295")) == "El RUC tiene 11 dígitos; escribiste 10."

    def test_prefix(self):
        assert "empieza con 10, 15, 16, 17 o 20" in str(ruc_problem(make_ruc("3012345678")))

    def test_check_digit(self):
        assert "dígito verificador" in str(ruc_problem("20131312954"))

    def test_empty(self):
        assert str(ruc_problem("")) == "Escribe el RUC del negocio."


# --- One RUC field in every form ------------------------------------------------------------


def post_ruc(client, auth, where: str, ruc: str):
    """Send `ruc` through one of the forms that ask for it; the stored RUC if it was kept."""
    if where == "registration":
        response = client.post("/registro", data=register_form(ruc=ruc))
        stored = db.session.scalar(sa.select(Buyer.ruc))
    elif where == "staff association":
        auth.login(StaffFactory())
        response = client.post("/staff/associations/new", data=new_association_form(ruc=ruc))
        stored = db.session.scalar(sa.select(Association.ruc))
    else:
        promoter = PromoterFactory(association__ruc=None)
        db.session.commit()
        auth.login(promoter)
        response = client.post(
            "/producer/profile", data=profile_form(promoter.association, ruc=ruc)
        )
        db.session.expire_all()
        stored = promoter.association.ruc
    return response, stored


FORMS = ["registration", "staff association", "promoter profile"]


@pytest.mark.parametrize("where", FORMS)
@pytest.mark.parametrize("typed", ["20 131 312 955", " 20131312955 ", "\t2013131 2955\n"])
def test_every_form_takes_a_ruc_with_spaces(client, auth, where, typed):
    response, stored = post_ruc(client, auth, where, typed)
    assert response.status_code == 303
    assert stored == "20131312955"


@pytest.mark.parametrize("where", FORMS)
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2013131295A", "El RUC solo lleva números (del 0 al 9), sin letras ni guiones."),
        ("2013 131 295", "El RUC tiene 11 dígitos; escribiste 10."),
        ("30 131 312 955", "Un RUC empieza con 10, 15, 16, 17 o 20"),
        ("20131312954", "Este RUC no es válido: el dígito verificador no coincide."),
    ],
)
def test_every_form_says_the_same_about_a_wrong_ruc(client, auth, where, typed, message):
    response, stored = post_ruc(client, auth, where, typed)
    assert response.status_code in (400, 422)
    assert message in text(response.data)
    assert stored is None
