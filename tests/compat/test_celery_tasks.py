"""compat.madrona's Celery-style task decorator and the failures it hands back."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

from django_rq_poll.compat.celery_tasks import reported, task, update_state
from django_rq_poll.compat.failures import rebuilt
from django_rq_poll.core.tasks import resolve
from django_rq_poll.exceptions import ProcessFailed
from django_rq_poll.progress import Progress
from tests import tasks


@pytest.fixture
def stand_tasks():
    """The Celery-style task module, decorated anew: each test gets what ``@task`` makes
    now, as a worker importing the module does (a mutation run changes the decorator
    after the module's first import)."""
    from tests.madrona_app import tasks as module

    return importlib.reload(module)


def test_the_decorator_returns_the_function_a_worker_imports(stand_tasks):
    assert resolve(stand_tasks.impute) is stand_tasks.impute  # 0.2.0 had no decorator
    assert stand_tasks.impute.__module__ == "tests.madrona_app.tasks"
    for decorated in (stand_tasks.impute, stand_tasks.add):
        assert callable(decorated.delay) and decorated.update_state is update_state
    assert stand_tasks.impute(1, "nowhere") is None  # update_state is a no-op outside a job
    assert stand_tasks.impute.update_state(state="PROGRESS", meta={"current": 1}) is False


def test_delay_uses_the_queue_the_decorator_names(stand_tasks, redis_db, run_jobs):
    result = stand_tasks.echo_elsewhere.delay({"a": 1})
    assert redis_db.lrange("rq:queue:other", 0, -1) == [result.id.encode()]
    assert result.status == "PENDING" and not result.ready()
    run_jobs("other")
    assert result.wait(timeout=5) == {"a": 1} and result.successful() and result.ready()


def test_non_functions_are_refused():
    with pytest.raises(TypeError, match="decorates a function, not str"):
        task("impute")
    with pytest.raises(TypeError, match="decorates a function, not int"):
        task(bind=True)(3)


def test_a_bound_task_gets_the_task_as_self_in_a_worker(stand_tasks, url, run_jobs, redis_db):
    """@task(bind=True) and current_task, as forestplanner wrote them (0.2.0 had neither;
    the first compat decorator refused bind=True)."""
    from django_rq_poll import get_process_progress
    from django_rq_poll.compat import madrona

    harvest = stand_tasks.harvest
    assert resolve(harvest) is harvest  # a worker imports it by its own name
    assert harvest.__wrapped__.__name__ == "harvest" and harvest.__qualname__ == "harvest"
    _, first = madrona.check_status_or_begin(harvest, (7,), polling_url=url)
    second = stand_tasks.schedule_harvest.delay(8)
    run_jobs()
    assert madrona.get_process_result(url) == {
        "stand": 7,
        "id": first,
        "name": "tests.madrona_app.tasks.harvest",
    }
    assert second.get(timeout=5) == second.id
    for task_id, done in ((first, 50.0), (second.id, 3.0)):
        progress = get_process_progress(task_id=task_id)
        assert progress is not None and progress.current == done, task_id


def test_current_task_outside_a_job(stand_tasks):
    from django_rq_poll.compat.madrona import current_task

    assert current_task.request.id is None and current_task.name is None
    assert current_task.update_state(state="PROGRESS", meta={"current": 1}) is False
    called = stand_tasks.harvest(5)  # called directly: a task object all the same
    assert called == {"stand": 5, "id": None, "name": "tests.madrona_app.tasks.harvest"}


def test_apply_async_starts_the_job_and_refuses_what_rq_has_not(stand_tasks, redis_db, run_jobs):
    result = stand_tasks.add.apply_async((2, 3))
    by_keyword = stand_tasks.echo_elsewhere.apply_async(kwargs={"value": "k"}, queue="default")
    assert redis_db.lrange("rq:queue:default", 0, -1) == [
        result.id.encode(),
        by_keyword.id.encode(),
    ]
    run_jobs()
    assert (result.get(timeout=5), by_keyword.get(timeout=5)) == (5, "k")
    for option in ("countdown", "eta", "link"):
        with pytest.raises(TypeError, match=rf"option\(s\) {option} have no counterpart on RQ"):
            stand_tasks.add.apply_async((1, 2), **{option: 10})
    with pytest.raises(TypeError) as refused:
        stand_tasks.add.apply_async((1, 2), eta=1, countdown=2, queue="default")
    assert str(refused.value) == (
        "apply_async() option(s) countdown, eta have no counterpart on RQ; the job starts "
        "at once. Leave them out, or start it with django_rq_poll.begin_process."
    )
    assert redis_db.llen("rq:queue:default") == 0  # a refused call starts nothing


def test_delay_passes_keyword_arguments_and_apply_async_overrides_the_queue(
    stand_tasks, redis_db, run_jobs
):
    result = stand_tasks.add.delay(2, y=5)
    elsewhere = stand_tasks.add.apply_async([1], {"y": 1}, queue="other")
    assert redis_db.lrange("rq:queue:other", 0, -1) == [elsewhere.id.encode()]
    run_jobs("default", "other")
    assert (result.get(timeout=5), elsewhere.get(timeout=5)) == (7, 2)
    assert stand_tasks.add.apply_async().id  # no arguments at all: a job all the same


def test_a_bound_task_reports_its_own_state_and_refuses_another_jobs(stand_tasks, run_jobs):
    from django_rq_poll import get_process_progress

    own = stand_tasks.thin.delay(7)
    meddling = stand_tasks.thin.delay(8, "f" * 32)
    run_jobs()
    assert own.get(timeout=5) == 7
    assert get_process_progress(task_id=own.id) == Progress(0.0, None, "THINNING")
    with pytest.raises(ValueError, match=r"^update_state\(\) can report only the running job"):
        meddling.get(timeout=5)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([["RASTERNOTFOUND", None]], Progress(0.0, None, "RASTERNOTFOUND")),
        (
            [["PROGRESS", {"current": 1, "total": 3}], ["RASTERNOTFOUND", None]],
            Progress(1.0, 3.0, "RASTERNOTFOUND"),  # the numbers not given are kept
        ),
        (
            [["PROGRESS", {"current": 1, "total": 3}], ["PROGRESS", {"current": 2, "total": 4}]],
            Progress(2.0, 4.0, ""),
        ),
        ([["PROGRESS", {"current": 1, "total": 0}]], Progress(1.0, None, "")),  # no total
        ([["PROGRESS", {"current": 1, "total": 1}]], Progress(1.0, 1.0, "")),
    ],
)
def test_update_state_in_a_job_becomes_its_progress(url, run_jobs, steps, expected):
    from django_rq_poll import begin_process, get_process_progress

    begin_process(tasks.report_states, (steps,), polling_url=url)
    run_jobs()
    assert get_process_progress(url) == expected


@pytest.mark.parametrize(
    ("state", "meta", "expected"),
    [
        ("PROGRESS", {"current": 50}, (50, None, "")),  # forestplanner's schedule_harvest
        ("PROGRESS", {"current": 3, "total": 4}, (3, 4, "")),
        ("PROGRESS", {"done": 2, "total": 9}, (2, 9, "")),
        ("PROGRESS", {"done": 2}, (2, None, "")),  # a count, not a percentage
        ("PROGRESS", {"current": "many", "done": 3, "total": 4}, (3, 4, "")),
        ("PROGRESS", {"current": 10**400, "done": 3, "total": 4}, (3, 4, "")),  # no float
        ("PROGRESS", {"progress": 40}, (40, 100, "")),
        ("PROGRESS", {"progress_percent": 40, "message": "cutting"}, (40, 100, "cutting")),
        (
            "PROGRESS",
            {"status": "Starting download...", "progress": 0},
            (0, 100, "Starting download..."),
        ),
        ("PROGRESS", {"step": "reading"}, (None, None, "reading")),
        ("RASTERNOTFOUND", None, (None, None, "RASTERNOTFOUND")),  # trees' custom states
        ("ZONALNULL", {}, (None, None, "ZONALNULL")),
        ("PROGRESS", {"current": -1, "total": "many"}, (None, None, "")),
        ("PROGRESS", {"current": float("nan"), "total": 10**400}, (None, None, "")),
        (None, "not a dict", (None, None, "")),
        ("X" * 5000, None, (None, None, "X" * 1000)),
    ],
)
def test_celery_meta_shapes_become_progress(state, meta, expected):
    assert reported(state, meta) == expected


def _failure(last_line: str) -> ProcessFailed:
    text = 'Traceback (most recent call last):\n  File "t.py", line 1, in f\n    g()\n'
    return ProcessFailed("a" * 32, text + last_line + "\n")


@pytest.mark.parametrize(
    ("last_line", "expected_type", "text"),
    [
        ("ValueError: bad input", ValueError, "bad input"),
        ("tests.madrona_app.analysis.StudyRegionError: far away", "StudyRegionError", "far away"),
        ("KeyError: 'k'", ProcessFailed, "'k'"),  # KeyError('k') would read "\"'k'\""
        ("no_such_module_loaded.Error: x", ProcessFailed, "x"),  # never imported for Redis
        ("os.path: x", ProcessFailed, "x"),  # names no exception class
        ("NoSuchBuiltinError: x", ProcessFailed, "x"),
        ("tests.madrona_app.analysis.NoSuchError: x", ProcessFailed, "x"),
        ("subprocess.SubprocessError: x", subprocess.SubprocessError, "x"),  # a top module's
        ("SystemExit: 3", ProcessFailed, "3"),  # not an Exception
        ("UnicodeDecodeError: needs five arguments", ProcessFailed, "needs five arguments"),
        ("a." * 200_000 + "B: made by a message line", ProcessFailed, "made by a message line"),
    ],
)
def test_a_failure_is_rebuilt_only_from_a_loaded_class_and_its_message(
    last_line, expected_type, text
):
    error = rebuilt(_failure(last_line))
    if expected_type == "StudyRegionError":
        from tests.madrona_app.analysis import StudyRegionError as expected_type
    assert type(error) is expected_type and str(error) == text
    assert error.task_id == "a" * 32 and "Traceback" in error.error


class ReadOnlyIdError(Exception):
    @property
    def task_id(self) -> str:
        return "its own"


class FrozenError(Exception):
    def __setattr__(self, name: str, value: object) -> None:
        raise TypeError(f"{type(self).__name__} is immutable")


def test_a_rebuilt_exception_keeps_the_attributes_its_class_will_not_take():
    read_only = rebuilt(_failure(f"{__name__}.ReadOnlyIdError: far away"))
    assert type(read_only) is ReadOnlyIdError and str(read_only) == "far away"
    assert read_only.task_id == "its own" and "Traceback" in read_only.error
    frozen = rebuilt(_failure(f"{__name__}.FrozenError: far away"))
    assert type(frozen) is FrozenError and str(frozen) == "far away"
    assert not hasattr(frozen, "task_id") and not hasattr(frozen, "error")


def test_a_class_is_found_in_any_loaded_module_by_the_longest_name_that_is_one(monkeypatch):
    """A module loaded under its own dotted name (its package not loaded), a class
    nested in another."""
    module = types.ModuleType("standalone.errors")
    module.Outer = type("Outer", (), {"InnerError": type("InnerError", (Exception,), {})})
    monkeypatch.setitem(sys.modules, "standalone.errors", module)
    error = rebuilt(_failure("standalone.errors.Outer.InnerError: deep"))
    assert type(error) is module.Outer.InnerError and str(error) == "deep"


def test_a_name_of_up_to_300_characters_is_looked_up(monkeypatch):
    for length, expected in ((300, "found"), (301, ProcessFailed)):
        name = "m" * (length - len(".LongError"))
        module = types.ModuleType(name)
        module.LongError = type("LongError", (Exception,), {})
        monkeypatch.setitem(sys.modules, name, module)
        error = rebuilt(_failure(f"{name}.LongError: long"))
        assert type(error) is (module.LongError if expected == "found" else expected), length


def test_update_state_refuses_another_jobs_id(stand_tasks, url, run_jobs):
    from django_rq_poll.compat import madrona

    madrona.check_status_or_begin(stand_tasks.meddle, ("f" * 32,), polling_url=url)
    run_jobs()
    error = madrona.get_process_result(url)
    assert type(error) is ValueError
    assert str(error).startswith("update_state() can report only the running job's progress")


def test_async_result_of_an_unknown_or_hostile_id():
    from django_rq_poll.compat.madrona import AsyncResult

    for task_id in ("0" * 32, "not/an id", "x" * 100_000):
        result = AsyncResult(task_id)
        assert (result.status, result.result, result.ready()) == (None, None, False)
        with pytest.raises(LookupError, match="unknown or its result has expired"):
            result.get(timeout=1)


def _traceback_of(exc: BaseException) -> str:
    import traceback

    try:
        raise exc
    except BaseException as raised:
        return "".join(traceback.format_exception(raised))


def test_the_raised_exception_is_read_from_any_traceback():
    from django_rq_poll.exceptions import last_exception

    assert last_exception(_traceback_of(ValueError("two\nlines"))) == ("ValueError", "two\nlines")
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise RuntimeError("outer: with a colon") from inner
    except RuntimeError as outer:
        chained = _traceback_of(outer)
    assert last_exception(chained) == ("RuntimeError", "outer: with a colon")
    group = ExceptionGroup("two failed", [ValueError("a"), KeyError("b")])
    assert last_exception(_traceback_of(group)) == (
        "ExceptionGroup",
        "two failed (2 sub-exceptions)",
    )
    assert last_exception("The job ended with status 'stopped'.") == (
        None,
        "The job ended with status 'stopped'.",
    )
    assert last_exception("") == (None, "")


def test_a_traceback_naming_no_exception_gives_its_last_line_not_the_traceback():
    from django_rq_poll.exceptions import last_exception

    odd = 'Traceback (most recent call last):\n  File "t.py", line 1\n  odd ending here\n'
    assert last_exception(odd) == (None, "odd ending here")
    assert str(ProcessFailed("a" * 32, odd)) == "odd ending here"
