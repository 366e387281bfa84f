"""bench.load reads forms as a browser submits them (the load test depends on it)."""

from bench.load import form_for, role_counts, sold_out

PAGE = """
<select form="checkout" name="date_1"><option value="2026-12-01">mar</option>
  <option selected value="2026-12-04">vie</option></select>
<form method="post" action="/buyer/checkout" id="checkout">
  <input type="hidden" name="csrf_token" value="tok">
  <input type="checkbox" name="remember" value="y">
  <input type="checkbox" name="accept" value="y" checked>
  <select name="address_1"><option value="7">Cocina</option><option value="8">Bar</option></select>
  <textarea name="notes">
sin sal</textarea>
  <button type="submit" name="go" value="1">Confirmar</button>
</form>
<form method="post"><input name="email" value=""></form>
"""


def test_a_form_gives_what_a_browser_would_send():
    assert form_for(PAGE, "/buyer/checkout") == {
        "csrf_token": "tok",
        "accept": "y",
        "address_1": "7",  # no option selected: the first
        "notes": "sin sal",
        "date_1": "2026-12-04",  # outside the form, attached to it by form="checkout"
    }


def test_a_form_without_action_posts_to_its_page():
    assert form_for(PAGE, "/login") is None
    assert form_for(PAGE, "/login", here="/login") == {"email": ""}


def test_sold_out_pages_and_the_crowd():
    assert sold_out("<p>Queso: pediste 5 kg y solo quedan 1 kg.</p>")
    assert sold_out("<p>Solo quedan 2 kg.</p>")
    assert sold_out('<p class="muted">Sin stock por ahora.</p>')
    assert not sold_out("<p>El pedido mínimo es S/ 120.00</p>")
    assert role_counts(40) == {"visitor": 16, "buyer": 14, "promoter": 6, "staff": 4}
    assert sum(role_counts(7).values()) == 7
