"""Session names in recording order, whatever MOABB's version calls them."""

from __future__ import annotations


def session_order(sessions: list[str]) -> list[str]:
    """Sessions in recording order, whatever the MOABB version calls them.

    MOABB 1.0 renamed BNCI2014001's ``session_T``/``session_E`` to ``0train``/``1test``;
    alphabetical order would put ``session_E`` first. Known training/evaluation names are
    ordered as such; otherwise a leading number orders them, else their name.
    """
    known = {"session_t": 0, "train": 0, "0train": 0, "session_e": 1, "test": 1, "1test": 1}

    def rank(name: str) -> tuple:
        low = name.lower()
        if low in known:
            return (0, known[low], low)
        digits = "".join(ch for ch in low if ch.isdigit())
        return (1, int(digits) if digits else 0, low)

    return sorted(set(sessions), key=rank)
