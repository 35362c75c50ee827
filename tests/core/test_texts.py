"""The status sentences users read."""

from __future__ import annotations

from django_rq_poll import State
from django_rq_poll.core import texts


def test_no_job_no_sentence_and_a_job_begun_now_says_so():
    assert texts.status_text(None) == ""
    assert texts.status_text(State.PENDING) == texts.status_text(State.RUNNING)
    begun = texts.status_text(State.PENDING, started=True)
    assert begun and begun != texts.status_text(State.PENDING)
