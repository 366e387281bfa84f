"""Peru's taxpayer number (RUC): 11 digits whose last one is a modulo-11 check digit."""

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
