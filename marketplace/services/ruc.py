"""Peru's taxpayer number (RUC): 11 digits whose last one is a modulo-11 check digit.

SUNAT gives every taxpayer one: 10 persons, 15/16/17 non-domiciled and others, 20 companies.
Every form reads it the same way (`normalise_ruc`, then `ruc_problem`).
"""

from flask_babel import lazy_gettext as _l

RUC_LENGTH = 11
WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
PREFIXES = ("10", "15", "16", "17", "20")  # persons, non-domiciled, companies


def ruc_check_digit(first_ten: str) -> int:
    total = sum(int(d) * w for d, w in zip(first_ten, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_ruc(value: str) -> bool:
    """True for an 11-digit RUC with a known prefix and a matching check digit."""
    return (
        isinstance(value, str)
        and len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[:2] in PREFIXES
        and ruc_check_digit(value[:10]) == int(value[10])
    )


def make_ruc(prefix_and_body: str) -> str:
    """Complete ten digits with their check digit (demo data and tests)."""
    return prefix_and_body + str(ruc_check_digit(prefix_and_body))


def normalise_ruc(value) -> str:
    """A RUC as typed, without the spaces people put around and between digit groups."""
    return "".join(value.split()) if isinstance(value, str) else ""


def ruc_problem(value: str) -> str | None:
    """What is wrong with a typed RUC, in words a person can act on; None if it is valid."""
    ruc = normalise_ruc(value)
    if not ruc:
        return _l("Escribe el RUC del negocio.")
    if not (ruc.isascii() and ruc.isdigit()):
        return _l("El RUC solo lleva números (del 0 al 9), sin letras ni guiones.")
    if len(ruc) != RUC_LENGTH:
        return _l("El RUC tiene %(n)s dígitos; escribiste %(count)s.", n=RUC_LENGTH, count=len(ruc))
    if ruc[:2] not in PREFIXES:
        return _l("Un RUC empieza con 10, 15, 16, 17 o 20; revisa los primeros dígitos.")
    if ruc_check_digit(ruc[:10]) != int(ruc[10]):
        return _l("Este RUC no es válido: el dígito verificador no coincide. Revisa el número.")
    return None
