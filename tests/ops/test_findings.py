"""A doctor's finding and the text of the Redis replies it quotes."""

from __future__ import annotations

from django_rq_poll.ops.findings import Finding, text


def test_a_reply_reads_as_text_whatever_redis_py_hands_back():
    assert text(b"OK") == "OK"
    assert text(b"bad \xff byte") == "bad \ufffd byte"  # undecodable bytes never raise
    assert text("OK") == "OK"
    assert text(1) == "1"


def test_a_finding_as_a_dict_keeps_every_field():
    finding = Finding("workers", "problem", "no worker", "default")
    assert finding.as_dict() == {
        "check": "workers",
        "status": "problem",
        "message": "no worker",
        "queue": "default",
    }
    assert Finding("redis", "ok", "answering").as_dict()["queue"] is None
