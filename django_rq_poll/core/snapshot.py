"""One job as one lookup saw it: the lookup script's reply decoded into a :class:`Snapshot`.

The reply's layout is described in :mod:`.scripts`. Decoding needs the serializer of the
job's own queue (pickle and JSON queues can mix), which the caller's ``serializer_of``
gives; nothing here talks to Redis.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, NamedTuple

from rq.results import Result

from .states import State, from_rq_status, is_rq_like

ABANDONED_ERROR = (
    "AbandonedJobError: the worker running this job stopped sending heartbeats "
    "(it was killed or lost its connection to Redis)."
)

UNREADABLE_ERROR = (
    "ResultUnreadable: the job's stored result cannot be read by this process ({error}). "
    "Is the code that defines it deployed here, and does the queue use the same SERIALIZER "
    "as the worker?"
)


UNREADABLE_STATUS = (
    "UnreadableJob: the job's hash holds a status no rq writes ({status!r}): another "
    "program wrote to rq's keys. Find it, and start the job again."
)


class Snapshot(NamedTuple):
    """One job as a single lookup saw it.

    A named tuple rather than a frozen dataclass: just as immutable, and several
    times cheaper to build on the hot path.
    """

    task_id: str
    rq_status: str
    state: State
    abandoned: bool
    return_value: Any = None
    error: str | None = None
    meta: dict[str, Any] | None = None
    #: The name of the job's queue (rq's ``origin``); "" when not known.
    origin: str = ""


def keeps(snapshot: Snapshot) -> bool:
    """A job that check_status_or_begin must not replace: queued, running or finished."""
    if snapshot.abandoned:
        return False
    return snapshot.state.in_progress or snapshot.state is State.COMPLETE


# The lookup's flags, passed as bytes: redis-py sends bytes as they are.
_FLAGS = {(False, False): b"", (True, False): b"r", (False, True): b"m", (True, True): b"rm"}


def flags(result: bool, meta: bool) -> bytes:
    return _FLAGS[result, meta]


def is_job(raw: Any) -> bool:
    """A reply naming a job (``None``: no mapping; a bare id: the job is gone)."""
    return raw is not None and b"\0" in raw


def head_state(raw: bytes) -> tuple[str, str, bool]:
    """(id, rq status, abandoned) from the reply's first fields, nothing decoded.

    The id is ASCII: the script answers only for ids of letters, digits, ``-`` and ``_``.
    The status may be any bytes (a hash another program wrote)."""
    head = raw.split(b"\0", 3)
    return head[0].decode(), head[1].decode(errors="replace"), head[2] == b"1"


def decode(raw: bytes, want_meta: bool, serializer_of: Callable[[bytes], Any]) -> Snapshot:
    """Read the lookup script's one-string reply (layout in :mod:`.scripts`)."""
    head = raw.split(b"\0", 9)
    task_id = head[0].decode(errors="replace")
    rq_status = head[1].decode(errors="replace")
    abandoned = head[2] == b"1"
    entry_id, kind, value, exc_string = head[3:7]
    origin, meta = head[9], b""
    if want_meta:
        origin_length = int(head[8])
        origin, meta = origin[:origin_length], origin[origin_length:]
    state = State.FAILED if abandoned else from_rq_status(rq_status)
    # Only a value, an error or meta needs the serializer (not a state check).
    serializer: Any = serializer_of(origin) if (entry_id or meta) else None
    return_value: Any = None
    error: str | None = ABANDONED_ERROR if abandoned else None
    try:
        if value and not exc_string:
            # The hot path (a finished job's value): rq stores it base64-encoded after
            # its queue's serializer; decoding it here skips building a Result with
            # dates we do not read. The tests check this answers what rq's own
            # return_value() answers.
            return_value = serializer.loads(base64.b64decode(value))
        elif entry_id:
            payload = {b"type": kind}
            if value:
                payload[b"return_value"] = value
            if exc_string:
                payload[b"exc_string"] = exc_string
            restored = Result.restore(
                task_id,
                entry_id.decode(),
                payload,
                connection=None,  # type: ignore[arg-type]  # only kept on the Result
                serializer=serializer,
            )
            return_value = restored.return_value
            if state is State.FAILED and error is None:
                error = str(restored.exc_string or "")
    except Exception as exc:  # stored by a worker whose code or serializer differs
        return Snapshot(
            task_id,
            rq_status,
            State.FAILED,
            abandoned,
            error=UNREADABLE_ERROR.format(error=f"{type(exc).__name__}: {exc}"),
            origin=origin.decode(errors="replace"),
        )
    if entry_id and rq_status == "finished":
        remember_read_back(raw)
    if state is State.FAILED and error is None:
        error = (
            f"The job ended with status {rq_status!r}."
            if is_rq_like(rq_status)
            else UNREADABLE_STATUS.format(status=rq_status)
        )
    meta_dict: dict[str, Any] | None = {} if want_meta else None  # as rq: {} when unset
    if meta:
        try:
            loaded = serializer.loads(meta)
        except Exception:  # a meta this serializer cannot read answers as empty
            loaded = {}
        meta_dict = loaded if isinstance(loaded, dict) else {}
    return Snapshot(
        task_id,
        rq_status,
        state,
        abandoned,
        return_value,
        error,
        meta_dict,
        origin.decode(errors="replace"),
    )


# Finished results this process has read back, by job id and rq's ended_at (which tells
# the runs of a repeated job apart): a state check of such a job needs no decoding. Only
# readable verdicts are kept, so a result that cannot be read is tried again each time.
_READ_BACK: set[tuple[bytes, bytes]] = set()
_READ_BACK_MAX = 4096


def _read_back_key(raw: bytes) -> tuple[bytes, bytes]:
    head = raw.split(b"\0", 8)
    return head[0], head[7]


def was_read_back(raw: bytes) -> bool:
    return _read_back_key(raw) in _READ_BACK


def remember_read_back(raw: bytes) -> None:
    if len(_READ_BACK) >= _READ_BACK_MAX:
        _READ_BACK.clear()  # crude but bounded: the ids being polled come back at once
    _READ_BACK.add(_read_back_key(raw))


def forget_read_backs() -> None:
    _READ_BACK.clear()


# How rq's stored traceback ends for a TaskError: "<module>.<class>: <message>".
_TASK_ERROR = "django_rq_poll.exceptions.TaskError: "


def visible_message(error: str | None) -> str | None:
    """The message of a :class:`~django_rq_poll.TaskError` the job ended with, for every
    visitor; ``None`` for any other failure (its text is for staff only)."""
    if not error or _TASK_ERROR not in error:
        return None
    message = error.rsplit(_TASK_ERROR, 1)[1].strip()
    return message[:1000] or None
