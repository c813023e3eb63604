"""Chinese place-name normalisation and matching (official village list ↔ OpenStreetMap).

The statistics bureau publishes village committees as ``王屯村委会`` or ``古城社区居委会``;
OpenStreetMap and web maps call the same place ``王屯村``, ``王屯`` or ``古城社区``. Names are
reduced to a *key*: Unicode NFKC (full-width letters, digits and brackets become half-width),
case-folded, without spaces, punctuation or brackets (their content is kept), and without the administrative
suffixes (村民委员会, 村委会, 居民委员会, 居委会, 社区, 村). Two names match when their keys
are equal; a key shorter than two characters keeps its suffix so that ``新村`` does not
collapse to ``新``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "NAME_TAGS",
    "NameIndex",
    "name_key",
    "normalise_text",
    "osm_names",
    "township_key",
]

#: OSM tags holding a name worth matching, in order of preference.
NAME_TAGS: tuple[str, ...] = ("name", "name:zh", "name:zh-Hans", "name:zh-CN", "official_name")

# Longest first: each pass strips at most one suffix from this list, repeatedly.
_ADMIN_SUFFIXES: tuple[str, ...] = (
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "村委会",
    "居委会",
    "委员会",
    "社区",
    "村",
)
_TOWNSHIP_SUFFIXES: tuple[str, ...] = (
    "街道办事处",
    "办事处",
    "街道",
    "民族乡",
    "镇",
    "乡",
)
_DROP = re.compile(r"[\s\-_.,·・'’\"“”、/()\[\]〔〕【】]+")
_MIN_KEY_LEN = 2


def normalise_text(name: str) -> str:
    """
    Normalise width, case, spacing and punctuation of a name, keeping every character class.

    Parameters
    ----------
    name
        Any place name.

    Returns
    -------
    str
        NFKC-normalised, case-folded text without whitespace, punctuation or brackets.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    return _DROP.sub("", text)


def name_key(name: str) -> str:
    """
    Reduce a place name to its matching key (administrative suffixes removed).

    Parameters
    ----------
    name
        e.g. ``王屯村委会``, ``王屯村``, ``ＸＸ社区居委会``, ``Gamprin-Bendern``.

    Returns
    -------
    str
        e.g. ``王屯``; empty for an empty name.
    """
    return _strip_suffixes(normalise_text(name), _ADMIN_SUFFIXES)


def township_key(name: str) -> str:
    """
    Reduce a township name to its matching key (镇, 乡, 街道, 办事处 removed).

    Parameters
    ----------
    name
        e.g. ``沙镇镇``, ``古楼街道``, ``Vaduz``.

    Returns
    -------
    str
        e.g. ``沙镇``, ``古楼``, ``vaduz``: equal to the key of the seat's place name
        (``沙镇``) and of the OSM boundary (``古楼街道``).
    """
    return _strip_suffixes(normalise_text(name), _TOWNSHIP_SUFFIXES)


def _strip_suffixes(key: str, suffixes: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) - len(suffix) >= _MIN_KEY_LEN:
                key = key[: -len(suffix)]
                changed = True
                break
    return key


def osm_names(tags: Mapping[str, str]) -> list[str]:
    """
    Return the distinct names an OSM object carries in :data:`NAME_TAGS`.

    Parameters
    ----------
    tags
        The object's tags.

    Returns
    -------
    list of str
        Non-empty names, in tag preference order, without duplicates.
    """
    out: list[str] = []
    for tag in NAME_TAGS:
        value = (tags.get(tag) or "").strip()
        if value and value not in out:
            out.append(value)
    return out


@dataclass
class NameIndex:
    """
    Look up candidates (e.g. OSM places) by the key of any of their names.

    Items are opaque hashable ids; :meth:`add` registers every name of an item. ``key`` is the
    normalisation (:func:`name_key` for villages, :func:`township_key` for townships).
    """

    key: Callable[[str], str] = name_key
    _by_key: dict[str, list[object]] = field(default_factory=dict)

    def add(self, item: object, names: Iterable[str]) -> None:
        """
        Register ``item`` under the key of each of ``names``.

        Parameters
        ----------
        item
            The candidate's id.
        names
            Its names (``name``, ``name:zh``, …).
        """
        for name in names:
            key = self.key(name)
            if not key:
                continue
            bucket = self._by_key.setdefault(key, [])
            if item not in bucket:
                bucket.append(item)

    def lookup(self, name: str) -> list[object]:
        """
        Return every item with a name whose key equals the key of ``name``.

        Parameters
        ----------
        name
            The name to find.

        Returns
        -------
        list
            Matching items in insertion order; empty when none match.
        """
        key = self.key(name)
        return list(self._by_key.get(key, [])) if key else []

    def __len__(self) -> int:
        return len(self._by_key)
