"""Progress read from meta, and what is wrong with a progress number (the words
set_progress raises with)."""

from __future__ import annotations

import pytest

from django_rq_poll.core.meta import META_PROGRESS
from django_rq_poll.core.progress import MESSAGE_LIMIT, Progress, problem


@pytest.mark.parametrize(
    ("value", "name", "excluded", "expected"),
    [
        (0, "current", False, None),
        (0.5, "current", False, None),
        (3, "total", True, None),
        ("x", "current", False, "current must be a number >= 0, not str 'x'."),
        (True, "total", True, "total must be a number > 0, not bool True."),
        (-1, "current", False, "current must be a number >= 0, not -1."),
        (0, "total", True, "total must be a number > 0, not 0."),
        (0.0, "total", True, "total must be a number > 0, not 0.0."),
        (float("inf"), "total", True, "total must be a finite number > 0, not inf."),
        (
            10**400,
            "current",
            False,
            "current must be a finite number >= 0; an integer of 1329 bits is too big.",
        ),
    ],
)
def test_what_is_wrong_with_a_progress_number(value, name, excluded, expected) -> None:
    assert problem(value, name, minimum_excluded=excluded) == expected


def test_progress_as_plain_data() -> None:
    assert Progress(1, 4, "one of four").as_dict() == {
        "current": 1,
        "total": 4,
        "message": "one of four",
        "percent": 25,
    }
    assert Progress(2).as_dict() == {"current": 2, "total": None, "message": "", "percent": None}


def progress_in(raw):
    return Progress.from_meta({META_PROGRESS: raw})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"current": 1, "total": 4, "message": "m"}, Progress(1.0, 4.0, "m")),
        ({"current": 1, "total": 4}, Progress(1.0, 4.0, "")),
        ({"current": 0}, Progress(0.0, None, "")),
        ({"current": 2, "total": None}, Progress(2.0, None, "")),
        ({"current": 1, "message": "x" * 1500}, Progress(1.0, None, "x" * MESSAGE_LIMIT)),
        ({"current": 1, "message": 5}, None),
        ({"current": "1"}, None),
        ({"current": -1}, None),
        ({"current": 1, "total": 0}, None),
        ({"current": 1, "total": "4"}, None),
        ({"total": 4}, None),
        ([1, 4], None),
    ],
)
def test_progress_is_read_from_whatever_meta_holds(raw, expected) -> None:
    found = progress_in(raw)
    assert found == expected
    if found is not None:
        assert type(found.current) is float
        assert found.total is None or type(found.total) is float


def test_no_meta_no_progress() -> None:
    assert Progress.from_meta(None) is None
    assert Progress.from_meta({}) is None
