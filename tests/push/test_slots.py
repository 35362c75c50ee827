"""Each visitor's open streams in this process (MAX_STREAMS): taken when the endpoint
answers, given back exactly once however the response ends. (tests/push/test_stream.py
counts them through the endpoint.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from django_rq_poll.push.slots import Held, Slots


def test_a_visitor_takes_up_to_the_limit_and_each_visitor_counts_apart():
    slots = Slots()
    first, second = slots.take("one", 2), slots.take("one", 2)
    assert first is not None and second is not None
    assert slots.take("one", 2) is None
    assert slots.take("two", 2) is not None
    assert slots.open == {"one": 2, "two": 1}


def test_a_slot_given_back_makes_room_once_however_often_it_is_given_back():
    slots = Slots()
    first = slots.take("one", 2)
    second = slots.take("one", 2)
    assert first is not None and second is not None
    first.give_back()
    first.give_back()  # a response closed twice gives back one slot
    assert slots.open == {"one": 1}
    assert slots.take("one", 2) is not None
    assert slots.take("one", 2) is None


def test_a_visitor_without_streams_leaves_no_count_behind():
    """A process serving many visitors over time keeps no entry for each of them."""
    slots = Slots()
    slot = slots.take("one", 1)
    assert slot is not None
    slot.give_back()
    assert slots.open == {}
    slots.give_back("never-took")  # nothing to give back: nothing kept
    assert slots.open == {}


@pytest.mark.parametrize("limit", [None, 0])
def test_no_limit_and_a_zero_limit(limit):
    slots = Slots()
    taken = [slots.take("one", limit) for _ in range(5)]
    if limit is None:
        assert all(slot is not None for slot in taken) and slots.open == {"one": 5}
    else:
        assert taken == [None] * 5 and slots.open == {}


async def _events(closed: list[str]) -> AsyncIterator[str]:
    try:
        yield "event: state\n\n"
        yield "event: end\n\n"
    finally:
        closed.append("events")


def test_a_held_stream_passes_its_events_and_gives_back_its_slot_on_aclose():
    slots = Slots()
    slot = slots.take("one", 1)
    assert slot is not None
    closed: list[str] = []

    async def main() -> list[str]:
        held = Held(_events(closed), slot)
        assert held.__aiter__() is held
        first = await held.__anext__()
        await held.aclose()
        return [first, *closed]  # closed now, not when the loop ends

    assert asyncio.run(main()) == ["event: state\n\n", "events"]
    assert slots.open == {}


def test_a_held_stream_read_to_its_end_then_closed_gives_back_one_slot():
    slots = Slots()
    slot = slots.take("one", 2)
    other = slots.take("one", 2)
    assert slot is not None and other is not None
    closed: list[str] = []

    async def main() -> list[str]:
        held = Held(_events(closed), slot)
        seen = [event async for event in held]
        held.close()  # Django's close of a response it sent
        await held.aclose()
        return seen

    assert asyncio.run(main()) == ["event: state\n\n", "event: end\n\n"]
    assert slots.open == {"one": 1}


def test_a_held_stream_of_events_without_aclose_still_gives_back_its_slot():
    slots = Slots()
    slot = slots.take("one", 1)
    assert slot is not None

    class Plain:
        def __aiter__(self) -> Plain:
            return self

        async def __anext__(self) -> str:
            raise StopAsyncIteration

    asyncio.run(Held(Plain(), slot).aclose())
    assert slots.open == {}
