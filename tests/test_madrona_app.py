"""An app shaped like madrona's (tests/madrona_app), run on the compat module and on the
main API, with real workers: the breakages issue 11 found, as a user meets them."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from django_rq_poll.conf import DEFAULT_RESULT_TTL
from django_rq_poll.core import keys
from tests.madrona_app.models import Scenario, Stand

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["compat", "main"])
def app(request, settings):
    settings.MADRONA_APP_PORT = request.param
    settings.ROOT_URLCONF = "tests.madrona_app.urls"
    return request.param


def poll(client: Client, scenario: Scenario, between, max_polls: int = 40) -> dict:
    """The page's script: GET the progress JSON until it says done (or reports an error).

    A client that handles only success would spin for ever on a view that raises; this
    one is bounded, and the tests check it stops because the JSON said so.
    """
    url = f"{scenario.get_absolute_url()}progress/"
    for _ in range(max_polls):
        response = client.get(url)
        assert response.status_code == 200, response.content
        answer = response.json()
        if answer["done"]:
            return answer
        between()
    raise AssertionError(f"still polling after {max_polls} polls: {answer}")


def test_save_runs_the_analysis_the_client_polls_the_show_page_shows(app, run_jobs):
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([4, 1, 2, 7]))
    client = Client()
    running = client.get(scenario.get_absolute_url()).content.decode()
    assert 'class="running"' in running
    answer = poll(client, scenario, run_jobs)
    assert answer["result"] == {"selected": [2, 4], "count": 2} and answer["error"] is None
    assert Scenario.objects.get(pk=scenario.pk).result == {"selected": [2, 4], "count": 2}
    page = client.get(scenario.get_absolute_url()).content.decode()
    assert '<p class="done">2 planning units selected: 2, 4</p>' in page


def test_saving_new_inputs_gives_the_new_result(app, run_jobs):
    """seak's edited geography: the second save must not serve the first result."""
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([2, 4]))
    client = Client()
    assert poll(client, scenario, run_jobs)["result"]["selected"] == [2, 4]
    scenario.units = json.dumps([6, 8, 9])
    scenario.save()
    answer = poll(client, scenario, run_jobs)
    assert answer["result"] == {"selected": [6, 8], "count": 2}


def test_inputs_edited_while_queued_in_an_atomic_save_give_the_new_result(app, redis_db, run_jobs):
    """An admin save (inside transaction.atomic) while the first run still waits: the
    page shows the new inputs' result, and the compat app runs one job (0.2.0's compat
    kept the queued job, which ran with the old inputs)."""
    from django.db import transaction

    scenario = Scenario.objects.create(name="Coast", units=json.dumps([2, 4]))
    with transaction.atomic():
        scenario.units = json.dumps([6, 7, 8])
        scenario.save()
    if app == "compat":
        assert redis_db.llen("rq:queue:default") == 1
    answer = poll(Client(), scenario, run_jobs)
    assert answer["result"] == {"selected": [6, 8], "count": 2}


def test_a_failed_job_ends_polling_with_an_error(app, run_jobs):
    scenario = Scenario.objects.create(name="Broken", units=json.dumps([2, -3]))
    client = Client()
    answer = poll(client, scenario, run_jobs)
    assert answer["result"] is None
    assert answer["error"].endswith("planning unit -3 is outside the study region")
    page = client.get(scenario.get_absolute_url()).content.decode()
    assert "An error occurred while running this analysis" in page


def test_results_outlive_rqs_500_seconds_by_default(app, run_jobs, redis_db):
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([2]))
    run_jobs()
    task_id = redis_db.get(keys.url_key(scenario.get_absolute_url())).decode()
    for key in (keys.url_key(scenario.get_absolute_url()), f"rq:job:{task_id}"):
        # A day, far past rq's 500 s; the slack is for a slow machine, not a timing check.
        assert DEFAULT_RESULT_TTL - 3600 < redis_db.ttl(key) <= DEFAULT_RESULT_TTL
    assert redis_db.ttl(f"rq:results:{task_id}") > 500


def test_with_a_real_rqworker_process(app, rqworker):
    rqworker("default")
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([10, 3, 12]))
    answer = poll(Client(), scenario, lambda: time.sleep(0.25), max_polls=120)
    assert answer["result"] == {"selected": [10, 12], "count": 2}
    scenario.units = json.dumps([-1])
    scenario.save()
    answer = poll(Client(), scenario, lambda: time.sleep(0.25), max_polls=120)
    assert "planning unit -1 is outside the study region" in answer["error"]


def test_result_kept_in_the_model_outlives_the_cache(app, run_jobs, redis_db):
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([2, 3]))
    client = Client()
    poll(client, scenario, run_jobs)
    redis_db.flushdb()  # the cache is gone (expired, evicted, Redis replaced)
    answer = client.get(f"{scenario.get_absolute_url()}progress/").json()
    assert answer == {
        "done": True,
        "error": None,
        "status": answer["status"],
        "result": {"selected": [2], "count": 1},
    }
    assert redis_db.dbsize() == 0  # served from the model; nothing was started again


def test_an_expired_result_reads_not_started_and_the_app_starts_it_again(
    app, run_jobs, redis_db, settings
):
    """Nobody opened the scenario while its result was kept: its page finds no job, and
    the app's "not started" branch runs it again (0.2.0's compat and main API alike)."""
    settings.RQ_POLL = {**getattr(settings, "RQ_POLL", {}), "RESULT_TTL": 1}
    scenario = Scenario.objects.create(name="Coast", units=json.dumps([2, 5, 8]))
    run_jobs()
    url_key = keys.url_key(scenario.get_absolute_url())
    for _ in range(200):  # the result and its mapping expire on Redis' clock
        if not redis_db.exists(url_key):
            break
        time.sleep(0.05)
    assert not redis_db.exists(url_key) and not redis_db.keys(b"rq:job:*")
    settings.RQ_POLL = {**settings.RQ_POLL, "RESULT_TTL": None}
    client = Client()
    first = client.get(f"{scenario.get_absolute_url()}progress/").json()
    assert (first["done"], first["error"]) == (False, None)  # started again, not an error
    assert poll(client, scenario, run_jobs)["result"] == {"selected": [2, 8], "count": 2}


# -- trees-shaped: a Stand whose save() starts a job per raster, a Celery-style task module
# (tests/madrona_app/tasks.py), a status method; madrona's code with its imports changed.


def _wait(until, polls: int = 1200) -> None:
    for _ in range(polls):
        if until():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


def _settled(stand: Stand) -> bool:
    return not set(stand.status.values()) & {"PENDING", "STARTED"}


def test_stand_through_a_worker_outage_and_result_expiry(settings, rqworker, redis_db):
    from django_rq_poll import get_process_progress

    stand = Stand.objects.create(name="North")  # save() queues three jobs; no worker runs
    assert stand.status == {"elevation": "PENDING", "slope": "PENDING", "aspect": "PENDING"}
    for raster in Stand.RASTERS:
        task_id = redis_db.get(keys.url_key(stand.raster_url(raster))).decode()
        assert redis_db.ttl(f"rq:job:{task_id}") == -1  # waits for a worker as long as needed
    rqworker("default")  # the worker comes back: the queued work runs
    _wait(lambda: _settled(stand))
    assert stand.status == {"elevation": "COMPLETED", "slope": "COMPLETED", "aspect": "SUCCESS"}
    assert Stand.objects.get(pk=stand.pk).elevation == 812.5
    # trees' custom state, left in the task, is the progress message; the word is SUCCESS
    aspect = get_process_progress(stand.raster_url("aspect"))
    assert (aspect.current, aspect.total, aspect.message) == (1, 3, "RASTERNOTFOUND")

    settings.RQ_POLL = {**getattr(settings, "RQ_POLL", {}), "RESULT_TTL": 1}
    unread = Stand.objects.create(name="South")  # nobody looks until its results expire
    _wait(
        lambda: not any(redis_db.exists(keys.url_key(unread.raster_url(r))) for r in Stand.RASTERS)
    )
    assert unread.status == dict.fromkeys(Stand.RASTERS, "NOTSTARTED")  # madrona: start again
    assert unread.refresh() == dict.fromkeys(Stand.RASTERS, "NOTSTARTED")
    settings.RQ_POLL = {**settings.RQ_POLL, "RESULT_TTL": None}
    _wait(
        lambda: unread.status["elevation"] == "COMPLETED" and unread.status["slope"] == "COMPLETED"
    )
    assert Stand.objects.get(pk=unread.pk).slope == 14.0


def test_an_edited_stand_queued_behind_a_busy_worker_runs_with_its_new_inputs(redis_db, run_jobs):
    """A save while the first save's jobs still wait replaces them (madrona started new
    tasks then); 0.2.0 kept the queued jobs, which ran with the old inputs."""
    stand = Stand.objects.create(name="North")
    first = {r: redis_db.get(keys.url_key(stand.raster_url(r))) for r in Stand.RASTERS}
    stand.save()  # the same inputs: the same jobs
    assert {r: redis_db.get(keys.url_key(stand.raster_url(r))) for r in Stand.RASTERS} == first
    from django_rq_poll.compat.madrona import check_status_or_begin
    from tests.madrona_app.tasks import impute

    _, new = check_status_or_begin(impute, (-1, "slope"), polling_url=stand.raster_url("slope"))
    assert new.encode() != first["slope"] and len(redis_db.keys(b"rq:job:*")) == 3
    run_jobs()
    assert stand.status["slope"] == "FAILURE"


def test_a_failing_task_returns_its_own_exception_class(run_jobs):
    from django_rq_poll.compat.madrona import get_process_result
    from tests.madrona_app.analysis import StudyRegionError

    scenario = Scenario.objects.create(name="Broken", units=json.dumps([-3]))
    run_jobs()
    error = get_process_result(scenario.get_absolute_url())
    assert isinstance(error, StudyRegionError)  # seak tested isinstance(res, MarxanError)
    assert str(error) == "planning unit -3 is outside the study region"  # no id, no module


def test_the_celery_style_task_module_with_real_workers(rqworker):
    from django_rq_poll.compat.madrona import AsyncResult
    from tests.madrona_app import tasks as stand_tasks
    from tests.madrona_app.analysis import StudyRegionError

    assert stand_tasks.impute(1, "slope") == 14.0  # still a plain function, called directly
    rqworker("default")
    result = stand_tasks.impute.delay(1, "elevation")
    assert isinstance(result, AsyncResult) and result.task_id == result.id
    assert result.get(timeout=60, interval=0.05) == 812.5 and result.status == "SUCCESS"
    failed = stand_tasks.impute.delay(-1, "slope")
    with pytest.raises(StudyRegionError, match=r"^stand -1 is outside the study region$"):
        failed.get(timeout=60, interval=0.05)
    assert failed.failed() and isinstance(failed.result, StudyRegionError)
    assert stand_tasks.add.delay(2, 3).get(timeout=60, interval=0.05) == 5
