"""The status sentences users read, one small template each so sites can reword them."""

from __future__ import annotations

from django.template.loader import render_to_string

from .states import State

_TEMPLATE = {
    State.PENDING: "running",
    State.RUNNING: "running",
    State.COMPLETE: "complete",
    State.FAILED: "failed",
    State.CANCELED: "canceled",
}


def status_text(state: State | None, *, started: bool = False) -> str:
    """What to tell a user about a job in ``state``; empty when no job is known.

    ``started`` says the job was begun by this very request ("has begun").
    """
    if state is None:
        return ""
    name = "begun" if started else _TEMPLATE[state]
    return render_to_string(f"django_rq_poll/status/{name}.txt").strip()


def waiting_text(position: int | None) -> str:
    """What to tell a user about a job still in its queue, with its place when known."""
    return render_to_string("django_rq_poll/status/waiting.txt", {"position": position}).strip()
