"""check_status_or_begin(replace_queued=True): new arguments replace a job still waiting
in the queue, atomically (issue 19; madrona's ProcessHandler started a new task then).

Every test runs through the sync functions and again through their async twins; the
interleaving test drives the start program through each driver.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import django_rq_poll as poll
from django_rq_poll.core import keys, writes
from django_rq_poll.core.ops import Exec
from django_rq_poll.core.plan import plan
from django_rq_poll.drivers import aio, backends, sync
from tests import tasks
from tests.workers import BURST

pytestmark = pytest.mark.usefixtures("side")

QUEUE = "rq:queue:default"


def queued(redis_db) -> list[str]:
    return [i.decode() for i in redis_db.lrange(QUEUE, 0, -1)]


def job_ids(redis_db) -> set[str]:
    return {k.decode().rsplit(":", 1)[1] for k in redis_db.keys(b"rq:job:*")}


def test_default_keeps_the_queued_job_whatever_the_arguments(url, redis_db, run_jobs):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    again = poll.check_status_or_begin(tasks.add, (10, 20), polling_url=url)
    assert (again.task_id, again.started) == (first.task_id, False)
    run_jobs()
    assert poll.get_process_result(url) == 3  # 0.2.0's answer for the new inputs, still


def test_new_arguments_replace_the_queued_job(url, redis_db, run_jobs):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    second = poll.check_status_or_begin(tasks.add, (10, 20), polling_url=url, replace_queued=True)
    assert second.started and second.task_id != first.task_id
    assert second.state is poll.State.PENDING
    assert queued(redis_db) == [second.task_id]  # the old one is out of the queue
    assert job_ids(redis_db) == {second.task_id}  # and deleted, as rq's Job.delete does
    assert poll.get_taskid_from_url(url) == second.task_id
    assert poll.get_process_status(task_id=first.task_id) is None
    run_jobs()
    assert poll.get_process_result(url) == 30


def test_the_replacement_keeps_the_old_jobs_turn(url, redis_db):
    ahead = poll.begin_process(tasks.add, (0, 0))
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    behind = poll.begin_process(tasks.add, (0, 0))
    new = poll.check_status_or_begin(tasks.add, (3, 4), polling_url=url, replace_queued=True)
    assert queued(redis_db) == [ahead, new.task_id, behind]  # not sent to the back
    assert first.task_id not in job_ids(redis_db)


def test_a_replacement_for_another_queue_goes_there(url, redis_db):
    behind = poll.begin_process(tasks.add, (0, 0))
    poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    elsewhere = poll.check_status_or_begin(
        tasks.add, (5, 6), polling_url=url, replace_queued=True, queue="other"
    )
    assert queued(redis_db) == [behind]
    assert redis_db.lrange("rq:queue:other", 0, -1) == [elsewhere.task_id.encode()]
    assert job_ids(redis_db) == {behind, elsewhere.task_id}


def test_another_function_replaces_it_too(url, redis_db):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    second = poll.check_status_or_begin(tasks.echo, (1, 2), polling_url=url, replace_queued=True)
    assert second.started and queued(redis_db) == [second.task_id] != [first.task_id]


def test_identical_arguments_keep_the_queued_job(url, redis_db):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    again = poll.check_status_or_begin(
        tasks.add, (1,), {"y": 2}, polling_url=url, replace_queued=True
    )
    # add(1, y=2) is another call than add(1, 2): compared as stored, not as meant
    assert again.started
    same = poll.check_status_or_begin(
        tasks.add, (1,), {"y": 2}, polling_url=url, replace_queued=True
    )
    assert (same.task_id, same.started) == (again.task_id, False)
    assert queued(redis_db) == [again.task_id] and first.task_id not in job_ids(redis_db)


def test_a_running_job_is_kept(url, redis_db, rqworker):
    first = poll.check_status_or_begin(tasks.wait_for, ("go",), polling_url=url)
    worker = rqworker("default", *BURST)
    try:
        for _ in range(600):
            if redis_db.get("go:started"):
                break
            time.sleep(0.05)
        again = poll.check_status_or_begin(
            tasks.wait_for, ("other",), polling_url=url, replace_queued=True
        )
        assert (again.task_id, again.started, again.state) == (
            first.task_id,
            False,
            poll.State.RUNNING,
        )
    finally:
        redis_db.set("go", 1)
        worker.wait(timeout=30)
    assert job_ids(redis_db) == {first.task_id} and poll.get_process_result(url) == "released"


def test_a_finished_job_is_served(url, redis_db, run_jobs):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    run_jobs()
    again = poll.check_status_or_begin(tasks.add, (5, 5), polling_url=url, replace_queued=True)
    assert (again.task_id, again.started, again.state) == (
        first.task_id,
        False,
        poll.State.COMPLETE,
    )


def test_a_visitors_replacement_counts_once(url, redis_db, settings):
    settings.RQ_POLL = {**getattr(settings, "RQ_POLL", {}), "MAX_ACTIVE_JOBS": 2}
    poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, visitor="v")
    for n in range(5):
        poll.check_status_or_begin(
            tasks.add, (n, n), polling_url=url, visitor="v", replace_queued=True
        )
    assert len(queued(redis_db)) == 1
    # the replaced jobs hold no slot: one more URL fits under the cap of two, not two
    assert poll.check_status_or_begin(tasks.add, (1, 1), polling_url=f"{url}b", visitor="v")
    with pytest.raises(poll.TooManyJobs):
        poll.check_status_or_begin(tasks.add, (1, 1), polling_url=f"{url}c", visitor="v")


def race(calls: list) -> list:
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = calls[n]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return answers


def test_racing_identical_calls_share_one_replacement(url, redis_db):
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)

    def call():
        return poll.check_status_or_begin(tasks.add, (7, 7), polling_url=url, replace_queued=True)

    answers = race([call] * 12)
    ids = {a.task_id for a in answers}
    assert len(ids) == 1 and first.task_id not in ids
    assert sum(a.started for a in answers) == 1
    assert queued(redis_db) == list(ids) and job_ids(redis_db) == ids


def test_racing_different_calls_leave_one_job(url, redis_db, run_jobs):
    poll.check_status_or_begin(tasks.add, (0, 0), polling_url=url)

    def call(n: int):
        return lambda: poll.check_status_or_begin(
            tasks.add, (n, 100), polling_url=url, replace_queued=True
        )

    answers = race([call(n) for n in range(1, 13)])
    mapped = poll.get_taskid_from_url(url)
    assert queued(redis_db) == [mapped] and job_ids(redis_db) == {mapped}
    assert mapped in {a.task_id for a in answers}  # the last replacement wins
    run_jobs()
    assert poll.get_process_result(url) - 100 in range(1, 13)


def test_racing_with_a_real_worker_runs_one_job(url, redis_db, rqworker):
    """Callers with ever new arguments while a worker takes the job: exactly one runs
    (once running, it is kept; once finished, served), and nothing is left queued."""
    rqworker("default")
    counter = f"runs:{url}"

    def call(n: int):
        def calls() -> None:
            for k in range(8):
                poll.check_status_or_begin(
                    tasks.counted_add, (counter, n, k), polling_url=url, replace_queued=True
                )

        return calls

    race([call(n) for n in range(8)])
    for _ in range(600):
        if poll.process_is_complete(url) and not queued(redis_db):
            break
        time.sleep(0.05)
    assert poll.process_is_complete(url)
    assert int(redis_db.get(counter)) == 1
    assert job_ids(redis_db) == {poll.get_taskid_from_url(url)}


def _taken_before_exec(program, redis_db):
    """The start program, with a worker's LMOVE of the queued job just before its EXEC."""
    taken = False
    op = next(program)
    while True:
        if isinstance(op, Exec) and not taken:
            taken = True
            redis_db.lmove(QUEUE, "rq:intermediate:default")  # what rq's dequeue does
        error: Exception | None = None
        reply = None
        try:
            reply = yield op
        except Exception as exc:  # the driver's error (a lost WATCH): the program's to handle
            error = exc
        try:
            op = program.send(reply) if error is None else program.throw(error)
        except StopIteration as stop:
            return stop.value


def test_worker_taking_the_job_before_exec_keeps_it(url, redis_db, side):
    """Driven through the sync driver, then the async one (``side``)."""
    first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    home = backends.backend()
    the_plan = plan(home, tasks.add, (5, 5), None, url, True, {}, None)
    program = _taken_before_exec(
        writes.start(the_plan, replace=False, replace_queued=True), redis_db
    )
    if side == "sync":
        current, job = sync.run_on(program, home)
    else:
        current, job = asyncio.run(aio.run_on(program, home))
    assert job is None and current.task_id == first.task_id  # kept: a worker has it
    assert redis_db.get(keys.url_key(url)).decode() == first.task_id
    assert job_ids(redis_db) == {first.task_id}


# Inside transaction.atomic() django-rq enqueues on commit: only sync callers hold a
# database transaction (tests/test_transactions.py), so these run the sync functions.
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_replacement_waits_for_the_commit(url, redis_db, run_jobs):
    from django.db import transaction

    import django_rq_poll

    first = django_rq_poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    with transaction.atomic():  # an admin save, ATOMIC_REQUESTS
        same = django_rq_poll.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, replace_queued=True
        )
        assert (same.task_id, same.started) == (first.task_id, False)
        new = django_rq_poll.check_status_or_begin(
            tasks.add, (4, 4), polling_url=url, replace_queued=True
        )
        assert new.started and queued(redis_db) == [first.task_id]  # nothing yet
        assert new.state is django_rq_poll.State.PENDING  # as it will be at the commit
    assert queued(redis_db) == [new.task_id] and job_ids(redis_db) == {new.task_id}
    assert django_rq_poll.get_taskid_from_url(url) == new.task_id
    run_jobs()
    assert django_rq_poll.get_process_result(url) == 8


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_an_identical_call_is_looked_for_in_its_jobs_queue(url, redis_db):
    """The queue is not part of the call: a job waiting in another queue than the one
    this call names is the same call, kept at once, as it is outside a transaction."""
    from django.db import transaction

    import django_rq_poll

    first = django_rq_poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url, queue="other")
    with transaction.atomic():
        same = django_rq_poll.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, replace_queued=True
        )
        assert (same.task_id, same.started) == (first.task_id, False)
    outside = django_rq_poll.check_status_or_begin(
        tasks.add, (1, 2), polling_url=url, replace_queued=True
    )
    assert (outside.task_id, outside.started) == (first.task_id, False)
    assert redis_db.lrange("rq:queue:other", 0, -1) == [first.task_id.encode()]
    assert job_ids(redis_db) == {first.task_id}


@pytest.mark.django_db(transaction=True)
def test_a_job_taken_before_the_commit_is_kept(url, redis_db):
    from django.db import transaction

    import django_rq_poll

    first = django_rq_poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
    with transaction.atomic():
        new = django_rq_poll.check_status_or_begin(
            tasks.add, (4, 4), polling_url=url, replace_queued=True
        )
        redis_db.lmove(QUEUE, "rq:intermediate:default")  # a worker takes the old job
    assert django_rq_poll.get_taskid_from_url(url) == first.task_id  # never two run
    assert job_ids(redis_db) == {first.task_id}
    assert django_rq_poll.get_process_status(task_id=new.task_id) is None


def test_the_stored_call_is_compared_never_loaded(url, redis_db):
    """A queued job's ``data`` that would fail (or run code) when unpickled, one that
    inflates to 256 MB, one that is no zlib: compared as bytes, the job is replaced all
    the same, and the inflating one costs no memory to speak of."""
    import tracemalloc
    import zlib

    bomb = zlib.compress(b"\0" * 2**28, 9)  # 256 MB in about 250 kB
    for data in (zlib.compress(b"cno_such_module_anywhere\nboom\n(tR."), bomb, b"not zlib"):
        first = poll.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        redis_db.hset(f"rq:job:{first.task_id}", "data", data)
        tracemalloc.start()
        try:
            new = poll.check_status_or_begin(
                tasks.add, (3, 4), polling_url=url, replace_queued=True
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert new.started and queued(redis_db) == [new.task_id]
        assert peak < 16 * 2**20, peak
        poll.forget_process(url)
        redis_db.delete(QUEUE, *redis_db.keys(b"rq:job:*"))


def test_a_job_queued_again_by_retry_is_replaced_leaving_nothing(url, redis_db):
    from rq import Retry

    from tests.workers import BurstWorker

    first = poll.check_status_or_begin(tasks.fail, polling_url=url, retry=Retry(max=2))
    queue = backends.backend().queue
    BurstWorker([queue], connection=queue.connection).work(burst=True, max_jobs=1)
    assert queued(redis_db) == [first.task_id]  # failed once, queued again
    new = poll.check_status_or_begin(tasks.add, (1, 1), polling_url=url, replace_queued=True)
    assert new.started and queued(redis_db) == [new.task_id]
    assert redis_db.keys(f"*{first.task_id}*".encode()) == []  # no hash, stream, executions
