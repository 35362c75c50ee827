"""An app shaped like madrona's (tests/madrona_app), run on the compat module and on the
main API, with real workers: the breakages issue 11 found, as a user meets them."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from django_rq_poll.conf import DEFAULT_RESULT_TTL
from django_rq_poll.core import keys
from tests.madrona_app.models import Scenario

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
        assert DEFAULT_RESULT_TTL - 60 < redis_db.ttl(key) <= DEFAULT_RESULT_TTL
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
