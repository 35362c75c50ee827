from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from django_rq_poll.drivers import backends
from tests.faults.tally_plugin import (  # noqa: F401  the fault tally's summary
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.processes import kill_session
from tests.redis_server import TEST_MARKER, DatabaseInUse, claim_database, reset, worker_url
from tests.workers import BurstWorker, InProcessWorker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


WHO = "the django-rq-poll tests"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Run in parallel (pytest-xdist), the controller claims every worker's database before
    any worker starts: one holding foreign keys stops the run here, with the reason."""
    workers = getattr(session.config.option, "numprocesses", None)
    if not workers or hasattr(session.config, "workerinput"):
        return  # one process, or an xdist worker: claimed_redis_url claims its own
    from django.conf import settings

    for n in range(int(workers)):
        try:
            claim_database(worker_url(settings.REDIS_URL, f"gw{n}"), marker=TEST_MARKER, who=WHO)
        except (DatabaseInUse, RuntimeError) as exc:
            pytest.exit(
                f"{exc} (the database of xdist worker gw{n}: a parallel run uses "
                "REDIS_URL's database and the next lower numbers, one per worker)",
                returncode=4,
            )


# Run in parallel (make test: pytest-xdist, --dist loadgroup), the tests of one browser
# module stay on one worker, one after the other: they share the module's Chromium
# (launched once per module and process), and no more browsers run at once than there
# are such modules.
BROWSER = os.path.join(ROOT, "tests", "browser") + os.sep
# Tests that wait on the clock for a minute or so (rq's 60 s heartbeat grace, a Sentinel
# failover) start first under xdist, then the browser modules (the longest chains of
# tests bound to one worker), so that the run does not end waiting on them.
LONG = (
    "test_whole_worker_killed",
    "test_a_worker_that_dies_on_a_full_server",
    "test_flow_through_sentinel_and_a_failover",
)


def _start_order(item: pytest.Item) -> int:
    if item.originalname in LONG:
        return 0
    return 1 if str(item.path).startswith(BROWSER) else 2


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.path).startswith(BROWSER):
            item.add_marker(pytest.mark.xdist_group(f"browser:{item.path.name}"))
    if hasattr(config, "workerinput"):  # every worker sorts alike, as xdist requires
        items.sort(key=_start_order)  # stable: each module's tests keep their order


@pytest.fixture(scope="session")
def claimed_redis_url() -> str:
    """The suite's database (this xdist worker's), claimed once: empty, or marked by an
    earlier run of the suite."""
    from django.conf import settings

    try:
        claim_database(settings.REDIS_URL, marker=TEST_MARKER, who=WHO)
    except DatabaseInUse as exc:
        pytest.exit(str(exc), returncode=4)
    return str(settings.REDIS_URL)


@pytest.fixture(autouse=True)
def redis_db(claimed_redis_url) -> Iterator[redis.Redis]:
    """A clean Redis database for each test: the claimed one, emptied but for its marker."""
    conn = redis.Redis.from_url(claimed_redis_url)
    reset(conn, TEST_MARKER)
    backends.clear_cache()
    yield conn
    backends.clear_cache()


@pytest.fixture
def run_jobs() -> Callable[..., None]:
    """Run every queued job with a real (forking) rq worker, in burst mode.

    ``RQ_POLL_TEST_WORKER=simple`` runs them in the test's own process instead (rq's
    SimpleWorker): ``make mutate`` sets it, so that mutmut sees which tests reach the
    code that runs inside a job (callbacks.py), which a forked work-horse hides.
    """
    simple = os.environ.get("RQ_POLL_TEST_WORKER") == "simple"
    worker_class = InProcessWorker if simple else BurstWorker

    def run(*queue_names: str) -> None:
        queues = [backends.backend(name).queue for name in (queue_names or ("default",))]
        worker = worker_class(
            queues,
            connection=queues[0].connection,
            serializer=queues[0].serializer,
            name=f"test-{uuid.uuid4().hex[:8]}",
        )
        worker.work(burst=True, logging_level="WARNING", with_scheduler=False)

    return run


@pytest.fixture
def rqworker() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start django-rq's own ``rqworker`` command in another process."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": ROOT}
        proc = subprocess.Popen(
            [sys.executable, "-m", "django", "rqworker", *(args or ("default",))],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its work-horses stay in its session: see kill_session
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        kill_session(proc.pid)
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


@pytest.fixture(params=["sync", "async"])
def side(request, monkeypatch) -> str:
    """Run a test through the sync API, then again through the async twins (the test
    module's global ``poll`` seen through them: tests/sides.py)."""
    if request.param == "async":
        from tests.sides import AsyncSide

        monkeypatch.setattr(request.module, "poll", AsyncSide())
    return str(request.param)


@pytest.fixture
def url() -> str:
    return f"/report/{uuid.uuid4().hex}/?q=1"


# Users need the database; transactional_db, so that jobs begun in a request are
# enqueued at once rather than on a commit that a test transaction never makes.
@pytest.fixture
def alice(transactional_db, django_user_model):
    return django_user_model.objects.create_user("alice", password="pw")


@pytest.fixture
def bob(transactional_db, django_user_model):
    return django_user_model.objects.create_user("bob", password="pw")
