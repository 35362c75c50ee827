"""How many event streams each visitor holds open in this process (``MAX_STREAMS``).

A stream holds a socket, a file descriptor and a little memory for as long as its page
is open: without a bound, one client opening thousands takes every descriptor of the
process and other visitors' pages time out. A slot is taken when the endpoint answers
and given back when the response is closed, whether or not it was ever read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


class Slots:
    """The open streams of each visitor in this process (one event loop's worth)."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def take(self, visitor: str, limit: int | None) -> Slot | None:
        """A slot for one more stream of ``visitor``, or ``None`` at the limit."""
        held = self.open.get(visitor, 0)
        if limit is not None and held >= limit:
            return None
        self.open[visitor] = held + 1
        return Slot(self, visitor)

    def give_back(self, visitor: str) -> None:
        left = self.open.get(visitor, 0) - 1
        if left > 0:
            self.open[visitor] = left
        else:
            self.open.pop(visitor, None)


class Slot:
    """One stream's place, given back once however the stream ends."""

    def __init__(self, slots: Slots, visitor: str) -> None:
        self.slots, self.visitor, self.held = slots, visitor, True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.slots.give_back(self.visitor)


class Held:
    """A stream's events, holding its slot until the response is closed (Django calls
    ``close`` when it is done with a response, read or not)."""

    def __init__(self, events: AsyncIterator[str], slot: Slot) -> None:
        self.events, self.slot = events, slot

    def __aiter__(self) -> Held:
        return self

    async def __anext__(self) -> str:
        return await self.events.__anext__()

    async def aclose(self) -> None:
        self.slot.give_back()
        closing: Any = getattr(self.events, "aclose", None)
        if closing is not None:
            await closing()

    def close(self) -> None:
        self.slot.give_back()


#: This process's streams. Streams run on the ASGI server's one event loop, so the
#: counts need no lock.
SLOTS = Slots()
