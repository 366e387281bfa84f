"""The rules a new password must meet, and the words in which a refusal is explained.

A new password has at least MIN_PASSWORD_LENGTH characters, is not one of the commonly used
passwords (the shipped list, also with digits or symbols added at its end), is not one or
two characters repeated, and does not repeat the user's e-mail or business name.
"""

from __future__ import annotations

import gzip
import re
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from . import DomainError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

#: 20,000 commonly used passwords, one a line (the list Django ships, BSD licence).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")
#: Words people here choose that the list, mostly English, lacks.
LOCAL_COMMON = (
    "contraseña",
    "contrasena",
    "micontraseña",
    "micontrasena",
    "clave",
    "miclave",
    "bienvenido",
    "administrador",
    "qhatu",
    "peru",
    "cusco",
    "lima",
    "machupicchu",
    "holamundo",
    "tequiero",
)
#: How alike (0 to 1) a password may be to the user's e-mail or business name.
MAX_SIMILARITY = 0.7
#: Shorter names and e-mail local parts are too short to compare meaningfully.
MIN_WORD_TO_COMPARE = 4

TOO_SHORT = _l("La contraseña necesita al menos %(n)s caracteres.", n=MIN_PASSWORD_LENGTH)
TOO_LONG = _l("La contraseña es demasiado larga.")
TOO_COMMON = _l(
    "Esta contraseña es muy común y fácil de adivinar. Elige otra; una frase de varias "
    "palabras es fácil de recordar."
)
TOO_PERSONAL = _l(
    "La contraseña se parece demasiado a tu correo o al nombre de tu negocio. Elige otra."
)

_TAIL = re.compile(r"[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        listed = {line.strip().lower() for line in lines if line.strip()}
    return frozenset(listed | set(LOCAL_COMMON))


def _letters(text: str) -> str:
    """Lower case, letters and digits only: "Hotel Andino S.A." -> "hotelandinosa"."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def is_common(password: str) -> bool:
    """A listed password, alone or with digits or symbols added at its end, or a password
    that is one or two characters over and over."""
    lowered = password.strip().lower()
    core = _TAIL.sub("", lowered)
    if len(set(lowered)) <= 2 or not core:
        return True
    listed = common_passwords()
    return lowered in listed or core in listed or _letters(lowered) in listed


def is_personal(password: str, email: str = "", names: tuple[str, ...] = ()) -> bool:
    """The password contains, or is much like, the e-mail's local part or a business name."""
    typed = _letters(password)
    words = [_letters(email.partition("@")[0])] + [_letters(name) for name in names]
    for word in words:
        if len(word) < MIN_WORD_TO_COMPARE:
            continue
        if word in typed or typed in word:
            return True
        if SequenceMatcher(a=typed, b=word).quick_ratio() >= MAX_SIMILARITY and (
            SequenceMatcher(a=typed, b=word).ratio() >= MAX_SIMILARITY
        ):
            return True
    return False


def password_problem(password: str, email: str = "", names: tuple[str, ...] = ()):
    """Why this password may not be chosen, in words for the user; None if it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return TOO_LONG
    if is_common(password):
        return TOO_COMMON
    if is_personal(password, email, names):
        return TOO_PERSONAL
    return None


def check_new_password(password: str, email: str = "", names: tuple[str, ...] = ()) -> None:
    """Refuse a new password that breaks the rules, with the reason at the password field."""
    problem = password_problem(password, email, names)
    if problem is not None:
        raise DomainError(problem, field="password")
