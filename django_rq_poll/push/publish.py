"""Announce a job's changes on its pub/sub channel, for pages that stream them (push).

:func:`~django_rq_poll.progress.set_progress` and the job-end callbacks call
:func:`announce` in the worker. A message is only a nudge ("look again"): whoever listens
looks the job up with the ordinary lookup, so a message can never disagree with what a
page or the status endpoint would answer. Nobody listening costs one ``PUBLISH``.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core import keys

logger = logging.getLogger("django_rq_poll")

#: The job reported progress (its meta is saved already).
PROGRESS = b"progress"
#: The job is ending: rq runs the callbacks just before it stores the status and the
#: result, so a listener keeps looking for a moment until the lookup says it is done.
END = b"end"


def announce(connection: Any, task_id: str, what: bytes) -> None:
    """Publish ``what`` on the job's channel; a failure is logged, never raised.

    A job must not fail because nobody could be told about it: streams re-check every
    job on their own every few seconds (``RQ_POLL['PUSH_RECHECK']``).
    """
    try:
        connection.publish(keys.events_channel(task_id), what)
    except Exception as exc:  # any failure here (RedisError, bad settings) is not the job's
        logger.warning("Could not announce a change of job %s: %s", task_id, exc)
