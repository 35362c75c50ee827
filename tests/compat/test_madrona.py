"""django_rq_poll.compat.madrona: madrona's functions, shapes and words, with our fixes."""

from __future__ import annotations

import inspect
import threading
import uuid

import pytest

import django_rq_poll as poll
from django_rq_poll.compat import madrona
from django_rq_poll.core import keys
from django_rq_poll.drivers import backends
from tests import tasks
from tests.workers import BURST

BEGUN = "<p>This process has begun and will be running in the background.</p>"
RUNNING = "<p>This process is currently running in the background.</p>"


def job_count(redis_db) -> int:
    return len(redis_db.keys(b"rq:job:*"))


def test_signatures_are_madronas():
    """Names and order of madrona's final ProcessHandler (Ecotrust/madrona)."""
    expected = {
        "check_status_or_begin": [
            "task_method",
            "task_args",
            "task_kwargs",
            "polling_url",
            "task_id",
            "check_running",
            "cache_results",
            "job_options",
        ],
        "process_is_running_or_complete": ["polling_url", "task_id"],
        "process_is_running": ["polling_url", "task_id"],
        "process_is_pending": ["polling_url", "task_id"],
        "process_is_complete": ["polling_url", "task_id"],
        "get_process_status": ["polling_url", "task_id"],
        "get_process_result": ["polling_url", "task_id"],
        "get_taskid_from_url": ["polling_url"],
        "get_url_from_taskid": ["task_id"],
    }
    for name, params in expected.items():
        assert list(inspect.signature(getattr(madrona, name)).parameters) == params, name
    defaults = inspect.signature(madrona.check_status_or_begin).parameters
    assert (defaults["check_running"].default, defaults["cache_results"].default) == (True, True)
    assert set(madrona.__all__) == {
        *expected,
        "CELERY_STATES",
        "AsyncResult",
        "BoundTask",
        "current_task",
        "task",
        "update_state",
    }


def test_built_on_the_public_api_only():
    """It keeps the main API's fixes by going through api.py, never store.py."""
    import ast

    tree = ast.parse(inspect.getsource(madrona))
    imported = {
        (node.module or "") + ":" + ",".join(a.name for a in node.names)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level
    }
    assert imported == {
        ":api",
        "core.states:State",
        "celery_results:CELERY_STATES,AsyncResult,get_process_result,get_process_status",
        "celery_tasks:BoundTask,current_task,task,update_state",
    }
    assert "store" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


class TestCheckStatusOrBegin:
    def test_returns_html_and_task_id_to_unpack(self, url, run_jobs):
        status_text, task_id = madrona.check_status_or_begin(
            tasks.add, task_args=(3, 5), polling_url=url
        )
        assert status_text == BEGUN
        assert task_id == poll.get_taskid_from_url(url)
        again, same = madrona.check_status_or_begin(tasks.add, task_args=(3, 5), polling_url=url)
        assert (again, same) == (RUNNING, task_id)  # queued counts as running
        run_jobs()
        assert madrona.get_process_result(url) == 8

    def test_forestplanner_loop_starts_every_raster(self, url, redis_db):
        """One Stand, four rasters: each call unpacks, so all four start."""
        for raster in ("elevation", "aspect", "slope", "cos_aspect"):
            status, task_id = madrona.check_status_or_begin(
                tasks.echo, task_args=(raster,), polling_url=f"{url}imputed_{raster}"
            )
            assert status == BEGUN and madrona.get_process_status(task_id=task_id) == "PENDING"
        assert job_count(redis_db) == 4

    def test_finished_work_runs_again_with_the_new_arguments(self, url, run_jobs):
        _, first = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        assert madrona.get_process_result(url) == 3
        status, second = madrona.check_status_or_begin(tasks.add, (10, 20), polling_url=url)
        assert status == BEGUN and second != first
        assert madrona.get_process_status(url) == "PENDING"
        run_jobs()
        assert madrona.get_process_result(url) == 30
        assert madrona.get_process_status(task_id=first) is None  # the old result is gone

    def test_failed_work_runs_again(self, url, run_jobs):
        _, first = madrona.check_status_or_begin(tasks.fail, polling_url=url)
        run_jobs()
        status, second = madrona.check_status_or_begin(tasks.add, (1, 1), polling_url=url)
        assert status == BEGUN and second != first

    def test_check_running_false_starts_anew_while_one_runs(self, url, redis_db):
        _, first = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        status, second = madrona.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, check_running=False
        )
        assert status == BEGUN and second != first
        assert madrona.get_taskid_from_url(url) == second
        assert job_count(redis_db) == 2

    def test_running_job_is_found_by_task_id(self, url, redis_db):
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2))
        assert madrona.check_status_or_begin(tasks.add, (1, 2), task_id=task_id) == (
            RUNNING,
            task_id,
        )
        assert job_count(redis_db) == 1

    def test_without_url_or_id_every_call_starts_a_job(self, redis_db):
        ids = {madrona.check_status_or_begin(tasks.add, (1, 2))[1] for _ in range(3)}
        assert len(ids) == 3 and job_count(redis_db) == 3

    def test_cache_results_false_keeps_no_mapping_and_forgets_the_old(self, url, run_jobs):
        madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        status, task_id = madrona.check_status_or_begin(
            tasks.add, (5, 5), polling_url=url, cache_results=False
        )
        assert status == BEGUN
        assert madrona.get_taskid_from_url(url) is None
        assert not madrona.process_is_complete(url)  # no stale result under the URL
        run_jobs()
        assert madrona.get_process_result(task_id=task_id) == 10

    def test_job_options_reach_rq(self, url):
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url, timeout=42)

        assert backends.backend().fetch_job(task_id).timeout == 42

    @pytest.mark.parametrize("finished", [False, True])
    def test_racing_calls_start_one_job(self, url, redis_db, run_jobs, finished):
        if finished:  # all racers find a finished job to run again
            madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
            run_jobs()
        before = set(redis_db.keys(b"rq:job:*"))
        barrier = threading.Barrier(16)
        seen: list[str] = []

        def call() -> None:
            barrier.wait()
            seen.append(madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)[1])

        threads = [threading.Thread(target=call) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        new = set(redis_db.keys(b"rq:job:*")) - before
        assert len(seen) == 16 and len(new) == 1  # no caller raised, one job started
        assert set(seen) == {new.pop().decode().rsplit(":", 1)[1]}

    def test_new_arguments_replace_a_queued_job(self, url, redis_db, run_jobs):
        """madrona started a new task when the old one had not started (0.2.0 kept the
        queued job, so an edited scenario showed the old inputs' result)."""
        _, first = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url) == (
            RUNNING,
            first,
        )
        status, second = madrona.check_status_or_begin(tasks.add, (10, 20), polling_url=url)
        assert status == BEGUN and second != first and job_count(redis_db) == 1
        assert madrona.get_taskid_from_url(url) == second
        run_jobs()
        assert madrona.get_process_result(url) == 30

    def test_racing_new_arguments_leave_one_queued_job(self, url, redis_db, run_jobs):
        madrona.check_status_or_begin(tasks.add, (0, 0), polling_url=url)
        barrier = threading.Barrier(12)

        def call(n: int) -> None:
            barrier.wait()
            madrona.check_status_or_begin(tasks.add, (n % 3, 100), polling_url=url)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert job_count(redis_db) == 1
        assert redis_db.lrange("rq:queue:default", 0, -1) == [
            madrona.get_taskid_from_url(url).encode()
        ]
        run_jobs()
        assert madrona.get_process_result(url) - 100 in (0, 1, 2)

    def test_templates_can_be_overridden(self, url, settings, tmp_path):
        folder = tmp_path / "django_rq_poll" / "compat" / "madrona"
        folder.mkdir(parents=True)
        for name, word in (("starting_process", "Started"), ("already_processing", "Busy")):
            (folder / f"{name}.html").write_text(
                f"<em>{word} {{{{ task_id }}}} for {{{{ polling_url }}}}</em>"
            )
        settings.TEMPLATES = [
            {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
        ]
        status, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert status == f"<em>Started {task_id} for {url}</em>"
        again, _ = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert again == f"<em>Busy {task_id} for {url}</em>"
        by_id, _ = madrona.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, task_id=task_id
        )
        assert by_id == f"<em>Busy {task_id} for {url}</em>"
        anew, second = madrona.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, check_running=False
        )
        assert anew == f"<em>Started {second} for {url}</em>"

    def test_keyword_arguments_and_job_options_reach_the_job_either_way(self, url, run_jobs):
        _, first = madrona.check_status_or_begin(tasks.add, (1,), {"y": 2}, url, timeout=42)
        _, second = madrona.check_status_or_begin(
            tasks.add, (3,), {"y": 4}, f"{url}b", check_running=False, timeout=43
        )
        timeouts = [backends.backend().fetch_job(i).timeout for i in (first, second)]
        assert timeouts == [42, 43]
        run_jobs()
        assert (madrona.get_process_result(url), madrona.get_process_result(f"{url}b")) == (3, 7)

    def test_starting_anew_without_checking_keeps_the_old_result(self, url, run_jobs):
        _, first = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        _, second = madrona.check_status_or_begin(
            tasks.add, (1, 2), polling_url=url, check_running=False
        )
        assert second != first and madrona.get_taskid_from_url(url) == second
        assert madrona.get_process_status(task_id=first) == "SUCCESS"

    def test_a_queued_job_found_by_task_id_is_kept_whatever_the_arguments(self, url, redis_db):
        """As madrona: given a task_id, the job it names is looked at, and reported."""
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert madrona.check_status_or_begin(
            tasks.add, (9, 9), polling_url=url, task_id=task_id
        ) == (
            RUNNING,
            task_id,
        )
        assert job_count(redis_db) == 1 and madrona.get_taskid_from_url(url) == task_id

    def test_a_finished_job_named_by_task_id_runs_the_urls_work_again(self, url, run_jobs):
        """The URL's own finished job is the one forgotten, whatever job task_id names."""
        _, mapped = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        _, other = madrona.check_status_or_begin(tasks.add, (5, 5))
        run_jobs()
        status, again = madrona.check_status_or_begin(
            tasks.add, (3, 3), polling_url=url, task_id=other
        )
        assert status == BEGUN and again not in (mapped, other)
        assert madrona.get_taskid_from_url(url) == again


class TestStatusWords:
    def test_pending_success_and_unknown(self, url, run_jobs):
        assert madrona.get_process_status(url) is None
        assert madrona.get_process_status(task_id=uuid.uuid4().hex) is None  # Celery: PENDING
        madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert madrona.get_process_status(url) == "PENDING"
        assert madrona.process_is_pending(url)
        assert not madrona.process_is_running_or_complete(url)  # madrona: STARTED or SUCCESS
        run_jobs()
        assert madrona.get_process_status(url) == "SUCCESS"
        assert madrona.process_is_complete(url) and madrona.process_is_running_or_complete(url)

    def test_started(self, url, redis_db, rqworker):
        madrona.check_status_or_begin(tasks.wait_for, ("go",), polling_url=url)
        worker = rqworker("default", *BURST)
        try:
            for _ in range(400):
                if madrona.get_process_status(url) == "STARTED":
                    break
                threading.Event().wait(0.05)
            assert madrona.get_process_status(url) == "STARTED"
            assert madrona.process_is_running(url) and madrona.process_is_running_or_complete(url)
            assert madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)[0] == RUNNING
        finally:
            redis_db.set("go", 1)
            worker.wait(timeout=30)
        assert madrona.get_process_status(url) == "SUCCESS"

    def test_each_question_by_task_id(self, url, run_jobs):
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert madrona.process_is_pending(task_id=task_id)
        assert not madrona.process_is_complete(task_id=task_id)
        run_jobs()
        assert madrona.process_is_complete(task_id=task_id)
        assert madrona.process_is_running_or_complete(task_id=task_id)
        assert not madrona.process_is_pending(task_id=task_id)

    def test_a_job_a_worker_has_taken_is_started(self, url, redis_db):
        """rq's status "started", no worker's heartbeat lost: running (a worker process
        shows the same in test_started)."""
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        redis_db.lpop("rq:queue:default")
        redis_db.hset(f"rq:job:{task_id}", "status", "started")
        assert madrona.get_process_status(url) == "STARTED"
        assert madrona.process_is_running(task_id=task_id) and madrona.process_is_running(url)
        assert madrona.process_is_running_or_complete(url)
        assert not madrona.process_is_pending(url)

    def test_failure_is_returned_as_the_tasks_own_exception(self, url, run_jobs):
        _, task_id = madrona.check_status_or_begin(tasks.fail, ("kaput",), polling_url=url)
        run_jobs()
        assert madrona.get_process_status(url) == "FAILURE"
        error = madrona.get_process_result(url)  # returned, not raised
        assert type(error) is RuntimeError and str(error) == "kaput"  # 0.2.0: ProcessFailed
        assert error.task_id == task_id and "Traceback" in error.error

    def test_canceled_is_revoked(self, url):
        madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert poll.cancel_process(url)
        assert madrona.get_process_status(url) == "REVOKED"
        assert isinstance(madrona.get_process_result(url), poll.ProcessFailed)

    def test_celery_words_cover_every_state(self):
        assert set(madrona.CELERY_STATES) == set(poll.State)


class TestUrlAndId:
    def test_both_ways(self, url):
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        assert madrona.get_taskid_from_url(url) == task_id
        assert madrona.get_url_from_taskid(task_id) == url

    def test_unknown_id_or_url_reads_none(self, url):
        """As madrona's table lookups (0.2.0 raised ValueError for the id)."""
        assert madrona.get_url_from_taskid(uuid.uuid4().hex) is None
        assert madrona.get_url_from_taskid("not/an id") is None
        assert madrona.get_url_from_taskid(None) is None
        assert madrona.get_taskid_from_url(url) is None
        assert madrona.get_taskid_from_url(None) is None  # 0.2.0 raised ValueError
        with pytest.raises(ValueError, match="needs a polling_url"):
            poll.get_taskid_from_url(None)  # the main API keeps its errors
        with pytest.raises(ValueError, match="needs a task_id"):
            poll.get_url_from_taskid(None)

    def test_replaced_or_unmapped_id_raises_value_error(self, url):
        _, old = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url, check_running=False)
        with pytest.raises(ValueError, match="known polling URL"):
            madrona.get_url_from_taskid(old)
        _, loose = madrona.check_status_or_begin(tasks.add, (1, 2))
        with pytest.raises(ValueError, match="known polling URL"):
            madrona.get_url_from_taskid(loose)

    def test_expired_result_reads_unknown(self, url, run_jobs, redis_db):
        _, task_id = madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)
        run_jobs()
        redis_db.delete(f"rq:results:{task_id}")
        assert madrona.get_process_status(url) is None
        assert madrona.get_taskid_from_url(url) is None
        assert madrona.get_url_from_taskid(task_id) is None
        assert not madrona.process_is_pending(url) and not madrona.process_is_complete(url)
        assert not madrona.process_is_running(url)
        assert not madrona.process_is_running_or_complete(url)
        assert madrona.get_process_result(url) is None
        assert not redis_db.exists(keys.url_key(url))
        assert madrona.check_status_or_begin(tasks.add, (1, 2), polling_url=url)[0] == BEGUN
