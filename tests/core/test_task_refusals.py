"""What a caller is told when a task cannot run in a worker, and which tasks pass.

Each refusal names the task and says what to do instead: the advice is the part a
user acts on, so each one is checked whole. (The public functions refuse before
writing anything: ``TestTaskValidation`` in tests/test_api.py.)
"""

from __future__ import annotations

import functools
import math
import types

import pytest

from django_rq_poll.core import tasks as task_refs
from tests import tasks


class Counter:
    @classmethod
    def class_add(cls, x: int, y: int) -> int:
        return x + y


def _made_at_run_time(module: str | None, qualname: str) -> types.FunctionType:
    """A function whose ``__module__`` and ``__qualname__`` say what a test needs."""
    made = types.FunctionType(tasks.add.__code__, {"__name__": module})
    made.__qualname__ = qualname
    assert made.__module__ == module
    return made


@pytest.mark.parametrize(
    "task",
    [
        tasks.add,
        "tests.tasks.add",
        tasks.Holder.static_add,
        Counter.class_add,
        math.factorial,  # a builtin: rq stores it by name as it does a function
    ],
    ids=["function", "dotted path", "staticmethod", "classmethod", "builtin"],
)
def test_an_importable_task_is_taken_as_given(task):
    assert task_refs.resolve(task) is task


def test_a_dotted_path_that_does_not_import_names_the_path_and_the_error():
    with pytest.raises(TypeError) as info:
        task_refs.resolve("tests.tasks.nothing_here")
    assert str(info.value).startswith("Task 'tests.tasks.nothing_here' cannot be imported: ")
    assert "nothing_here" in str(info.value).split(": ", 1)[1]


def test_a_dotted_path_to_something_not_callable_names_what_it_found():
    with pytest.raises(TypeError) as info:
        task_refs.resolve("tests.tasks.__name__")
    assert str(info.value) == "Task 'tests.tasks.__name__' names a str, not a function."


@pytest.mark.parametrize(("task", "kind"), [(42, "int"), (None, "NoneType")])
def test_something_not_callable_names_its_type(task, kind):
    with pytest.raises(TypeError) as info:
        task_refs.resolve(task)
    assert str(info.value) == (
        f"task_method must be a function or a dotted path to one, not {kind}."
    )


@pytest.mark.parametrize(
    "task",
    [functools.partial(tasks.add, 1), str.upper, object.__init__],
    ids=["partial", "method descriptor", "slot wrapper"],
)
def test_a_callable_object_is_refused_with_the_advice(task):
    """Callables that are not functions, some without even a ``__module__``."""
    with pytest.raises(TypeError) as info:
        task_refs.resolve(task)
    assert str(info.value) == (
        f"{task!r} is not a plain function; a worker imports tasks by name, so pass a "
        "module-level function (or its dotted path)."
    )


LAMBDA_ADVICE = (
    "A lambda cannot run in a worker: workers import tasks by name. "
    "Define the task as a module-level function."
)
module_level_lambda = lambda: 1  # noqa: E731  # the case the refusal is for


def test_a_lambda_is_refused_with_the_advice():
    assert module_level_lambda.__qualname__ == "<lambda>"  # nothing else refuses it
    with pytest.raises(TypeError) as info:
        task_refs.resolve(module_level_lambda)
    assert str(info.value) == LAMBDA_ADVICE


def test_a_function_of_no_module_is_refused_as_a_lambda_is():
    with pytest.raises(TypeError) as info:
        task_refs.resolve(_made_at_run_time(None, "add"))
    assert str(info.value) == LAMBDA_ADVICE


def test_a_nested_function_is_refused_with_the_advice():
    def inner() -> int:
        return 1

    with pytest.raises(TypeError) as info:
        task_refs.resolve(inner)
    assert str(info.value) == (
        f"{inner.__qualname__} is defined inside another function, so a worker cannot "
        "import it. Move it to module level."
    )


def test_a_method_bound_to_an_instance_is_refused_with_the_advice():
    class Page:
        task = tasks.add

    with pytest.raises(TypeError) as info:
        task_refs.resolve(Page().task)
    assert str(info.value) == (
        "add is bound to a Page instance, which a worker cannot import. Pass the plain "
        "function (as a class attribute, wrap it in staticmethod()), a staticmethod or a "
        "classmethod."
    )


def test_a_function_of_main_is_refused_with_the_advice():
    with pytest.raises(TypeError) as info:
        task_refs.resolve(_made_at_run_time("__main__", "report"))
    assert str(info.value) == (
        "report is defined in __main__, which a worker does not share. "
        "Move it into an importable module."
    )


def test_a_function_its_module_does_not_hold_names_where_it_looked():
    with pytest.raises(TypeError) as info:
        task_refs.resolve(_made_at_run_time("tests.tasks", "Holder.gone"))
    assert str(info.value).startswith("tests.tasks.Holder.gone cannot be imported by a worker: ")
    assert "gone" in str(info.value).split(": ", 1)[1]


def test_a_function_its_module_holds_another_of_is_refused_with_the_advice():
    with pytest.raises(TypeError) as info:
        task_refs.resolve(_made_at_run_time("tests.tasks", "add"))
    assert str(info.value) == (
        "tests.tasks.add imports as a different object than the task given (it was "
        "replaced or wrapped); pass the object the module exposes."
    )


def refusal(task: object) -> str:
    """What ``resolve`` says when it refuses ``task``."""
    with pytest.raises(TypeError) as info:
        task_refs.resolve(task)
    return str(info.value)


class TestDjangoTasks:
    """Django's ``@task`` objects: refused when decorated for the RQ backend (as Django
    validates a task), and when another backend's task is given to ``begin_process``."""

    @staticmethod
    def nested() -> types.FunctionType:
        def report() -> int:
            return 1

        return report  # type: ignore[return-value]

    @pytest.mark.parametrize(
        ("make", "advice"),
        [
            (
                lambda: module_level_lambda,
                LAMBDA_ADVICE.replace("run in a worker", "be a task"),
            ),
            (
                lambda: _made_at_run_time("__main__", "report"),
                "report is defined in __main__, which a worker does not share. "
                "Move it into an importable module.",
            ),
        ],
        ids=["lambda", "__main__"],
    )
    def test_what_no_worker_can_import_is_refused_when_decorated_and_when_started(
        self, make, advice
    ):
        from django_rq_poll.backends import compat

        with pytest.raises(compat.InvalidTask) as info:
            compat.task(make())
        assert str(info.value) == advice
        # Django's own backends take it; starting it as a page's task refuses it.
        given = compat.task(backend="immediate")(make())
        assert refusal(given) == advice

    def test_a_callable_object_is_left_to_djangos_own_refusal(self):
        """It has no ``__qualname__``: nothing here fails on it, and Django says why."""
        from django_rq_poll.backends import compat

        class Send:
            def __call__(self) -> None:
                pass

        with pytest.raises(compat.InvalidTask, match=r"^Task function must be defined at a module"):
            compat.task(Send())  # Django's words, with or without a full stop by version

    def test_a_nested_function_is_refused_when_decorated(self):
        from django_rq_poll.backends import compat

        with pytest.raises(compat.InvalidTask) as info:
            compat.task(self.nested())
        assert str(info.value) == (
            "TestDjangoTasks.nested.<locals>.report is defined inside another function, "
            "so a worker cannot import it. Move it to module level."
        )

    def test_a_task_whose_module_a_worker_cannot_import_names_the_error(self):
        from django_rq_poll.backends import compat

        given = compat.task(backend="immediate")(_made_at_run_time("tests.nowhere", "report"))
        with pytest.raises(TypeError) as info:
            task_refs.resolve(given)
        assert str(info.value).startswith(
            "Task tests.nowhere.report cannot be imported by a worker: "
        )
        assert "tests.nowhere" in str(info.value).split(": ", 1)[1]

    def test_the_rq_backend_refuses_to_enqueue_what_a_worker_cannot_import(self):
        from django_rq_poll.backends import compat

        given = compat.task(_made_at_run_time("tests.nowhere", "report"))
        with pytest.raises(compat.InvalidTask) as info:
            given.enqueue()
        assert str(info.value).startswith(
            "Task tests.nowhere.report cannot be imported by a worker: "
        )

    def test_a_task_whose_name_holds_a_plain_function_is_refused_with_the_advice(self):
        """The module exposes the undecorated function: a worker would run no task."""
        from django_rq_poll.backends import compat

        given = compat.task(backend="immediate")(tasks.add)
        assert refusal(given) == (
            "tests.tasks.add is not the task given (a worker would find a function there); "
            "decorate the module-level function with @task and pass that."
        )

    def test_a_runner_path_that_does_not_import_names_the_path_and_the_error(self):
        assert refusal(task_refs.RUNNER + "tests.no_such_module.send") == (
            "Task 'tests.no_such_module.send' cannot be imported: "
            "No module named 'tests.no_such_module'"
        )

    def test_a_runner_path_to_a_plain_function_is_refused(self):
        assert refusal(task_refs.RUNNER + "tests.tasks.add") == (
            "tests.tasks.add is a function, not one of Django's tasks."
        )

    def test_a_runner_path_to_a_task_is_taken_as_given(self):
        path = task_refs.RUNNER + "tests.backends.defs.add"
        assert task_refs.resolve(path) == path

    def test_a_task_runs_as_the_runner_of_its_path_on_its_own_queue(self):
        from tests.backends import defs

        assert task_refs.resolve(defs.add) == task_refs.RUNNER + "tests.backends.defs.add"
        assert task_refs.queue_of(defs.add.using(queue_name="other")) == "other"
        assert task_refs.queue_of(defs.add) == "default"
        assert task_refs.queue_of(tasks.add) is None  # a function's queue is the caller's
