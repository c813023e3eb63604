"""Translations of every person-facing text: gettext catalogues, read with Babel.

The English text is the message id (gettext's convention), so English output needs no
catalogue. Other languages live in ``src/ruralnet/locale/<locale>/LC_MESSAGES/ruralnet.po``;
:func:`translator` compiles the ``.po`` file in memory with Babel and returns its ``gettext``.
``pybabel extract`` (see ``babel.cfg``) finds the texts marked with :func:`N_` or passed to a
translator called ``_``; ``tests/test_i18n.py`` checks that every such text has a translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "N_", "catalogue_path", "translator"]

#: Language codes of the ``[report].language`` key and ``--lang``, with their Babel locale.
LANGUAGES: dict[str, str] = {"en": "en", "zh": "zh_CN"}
DOMAIN = "ruralnet"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark ``message`` for extraction without translating it (gettext's ``N_``)."""
    return message


def catalogue_path(lang: str) -> resources.abc.Traversable:
    """Return the ``.po`` catalogue of a language shipped in the package."""
    locale = LANGUAGES[lang]
    return resources.files("ruralnet") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        msg = f"language must be one of {', '.join(LANGUAGES)}, got {lang!r}"
        raise ValueError(msg)
    if lang == "en":
        return gettext.NullTranslations()
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=LANGUAGES[lang], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def translator(lang: str) -> Callable[[str], str]:
    """
    Return the ``gettext`` function of a language.

    Parameters
    ----------
    lang
        ``"en"`` (the message ids themselves) or ``"zh"`` (Simplified Chinese).

    Returns
    -------
    callable
        ``_(english) -> text in lang``; a text without a translation comes back in English.

    Raises
    ------
    ValueError
        For a language not in :data:`LANGUAGES`.
    """
    return _translations(lang).gettext
