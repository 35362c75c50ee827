"""What runs in the worker (django_rq_poll.backends.run), and a project switching from
Django's ImmediateBackend with its tasks unchanged."""

from __future__ import annotations

import pytest

from django_rq_poll.backends import compat, run
from django_rq_poll.core.taskjson import as_json
from tests.backends import defs


def test_the_runner_name_resolves_to_the_task():
    runner = getattr(run, "tests.backends.defs.add")
    assert runner(2, 3) == 5  # outside a job: no context, no attempt recorded


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("os.getcwd", "builtin_function_or_method"),
        ("tests.tasks.add", "function"),
        ("tests.backends.defs", "module"),
    ],
)
def test_the_runner_refuses_what_is_not_a_task(path, kind):
    with pytest.raises(TypeError) as refused:
        run.run_task(path)
    assert str(refused.value) == f"{path} is a {kind}, not a task: refusing to run it."


def test_the_runner_refuses_what_cannot_be_imported():
    with pytest.raises(ImportError):
        run.run_task("tests.backends.nowhere.add")


@pytest.mark.parametrize("name", ["__path__", "add"])
def test_only_dotted_names_are_runners(name):
    with pytest.raises(AttributeError) as refused:
        getattr(run, name)
    assert refused.value.args == (name,)


def test_a_context_taking_task_needs_a_job():
    with pytest.raises(RuntimeError, match="takes a context"):
        getattr(run, "tests.backends.defs.whoami")("x")


@pytest.mark.parametrize(
    ("value", "back"),
    [((1, [2, (3,)]), [1, [2, [3]]]), (b"text", "text"), ({1: None}, {"1": None})],
)
def test_json_as_django_normalizes_it(value, back):
    assert as_json(value, "it") == back


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (b"\xff", "holds a bytes value that is not UTF-8 text"),
        (object(), "holds a object"),
        ({(1, 2): 3}, "cannot be written as JSON"),
    ],
)
def test_json_refusals_name_the_value(value, said):
    with pytest.raises(TypeError, match=said):
        as_json(value, "Argument 0 of task t")


def test_json_takes_what_python_json_writes_and_names_the_rest_whole():
    import math

    assert math.isnan(as_json(float("nan"), "it")) and as_json(float("inf"), "it") == math.inf
    assert as_json(range(3), "it") == [0, 1, 2] and as_json("abc", "it") == "abc"
    with pytest.raises(TypeError) as refused:
        as_json({1, 2}, "Argument 0 of task t")
    assert str(refused.value) == (
        "Argument 0 of task t holds a set, which JSON cannot carry: a task's arguments and "
        "return value must be JSON values (str, int, float, bool, None, and lists and dicts "
        "of them)."
    )
    with pytest.raises(TypeError) as refused:
        as_json(b"\xff", "it")
    assert str(refused.value).startswith("it holds a bytes value that is not UTF-8 text, ")


def test_switching_from_the_immediate_backend_leaves_tasks_unchanged(settings, rqworker):
    ours = settings.TASKS["default"]
    settings.TASKS = {"default": {"BACKEND": settings.TASKS["immediate"]["BACKEND"]}}
    immediate = defs.add.enqueue(20, 22)
    assert immediate.status == compat.TaskResultStatus.SUCCESSFUL
    assert immediate.return_value == 42
    settings.TASKS = {"default": ours}
    result = defs.add.enqueue(20, 22)
    assert result.status == compat.TaskResultStatus.READY
    rqworker("default")
    from tests.backends.conftest import Side

    assert Side("sync").wait(result).return_value == 42
