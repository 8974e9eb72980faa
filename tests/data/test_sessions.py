"""Sessions in recording order."""

from bci_attn.data import session_order


def test_session_names_are_ordered_whatever_moabb_calls_them():
    assert session_order(["session_E", "session_T"]) == ["session_T", "session_E"]
    assert session_order(["1test", "0train"]) == ["0train", "1test"]
    assert session_order(["2", "10", "1"]) == ["1", "2", "10"]
