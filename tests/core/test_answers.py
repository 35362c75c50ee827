"""What the status endpoint and a stream's events say of a job."""

from __future__ import annotations

from django_rq_poll.core import answers


def test_a_gone_job_is_done_without_a_state_or_a_failure() -> None:
    """A stream's last word for a job whose result expired or was forgotten: done (the
    page stops waiting), neither a state nor a failure, nothing to show."""
    assert answers.gone_data() == {
        "state": None,
        "done": True,
        "failed": False,
        "status": "",
        "progress": None,
    }
