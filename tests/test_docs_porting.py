"""The migration guide's examples (docs/examples/porting, docs/migrating.rst) run here."""

from __future__ import annotations

import os
import re
import runpy
import uuid

import pytest
from django.test import RequestFactory

import django_rq_poll as poll
from django_rq_poll.compat import madrona

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "docs", "examples")


@pytest.fixture
def stand_url() -> str:
    return f"/features/stand/{uuid.uuid4().hex}/"


@pytest.mark.parametrize("flavour", ["impute_with_madronas_api", "impute_with_the_main_api"])
def test_every_raster_starts_and_unpacks(flavour, stand_url, run_jobs):
    from porting import unpacking

    ids = getattr(unpacking, flavour)(7, stand_url)
    assert len(set(ids.values())) == 3
    run_jobs()
    assert poll.get_process_result(f"{stand_url}imputed_slope") == {
        "stand": 7,
        "raster": "slope",
        "value": 12.5,
    }
    # A custom Celery state became part of the return value; progress replaced PROGRESS.
    assert poll.get_process_result(task_id=ids["aspect"]) == {
        "stand": 7,
        "raster": "aspect",
        "error": "RASTERNOTFOUND",
    }
    assert poll.get_process_progress(task_id=ids["elevation"]) == poll.Progress(
        1, 2, "zonal statistics"
    )


@pytest.mark.parametrize(
    "rerun", ["rerun_with_begin_process", "rerun_with_forget_process", "rerun_with_madronas_api"]
)
def test_rerun_after_an_edit_gives_the_new_result(rerun, url, run_jobs):
    from porting import rerun as examples

    run = getattr(examples, rerun)
    first = run(url, [2, 4])
    run_jobs()
    assert poll.get_process_result(url) == [2, 4]
    second = run(url, [6, 7, 8])
    assert second != first
    run_jobs()
    assert poll.get_process_result(url) == [6, 8]


def test_rerun_while_queued_or_running_keeps_one_job(url, redis_db):
    from porting.rerun import rerun_with_forget_process

    first = rerun_with_forget_process(url, [2])
    assert rerun_with_forget_process(url, [4]) == first  # the second save finds it queued
    assert len(redis_db.keys(b"rq:job:*")) == 1


def test_madronas_rerun_replaces_a_queued_job_with_the_new_inputs(url, redis_db, run_jobs):
    from porting.rerun import rerun_with_madronas_api

    first = rerun_with_madronas_api(url, [2])
    assert rerun_with_madronas_api(url, [2]) == first  # the same inputs: the same job
    second = rerun_with_madronas_api(url, [4, 5])
    assert second != first and len(redis_db.keys(b"rq:job:*")) == 1
    run_jobs()
    assert poll.get_process_result(url) == [4]


def test_begin_process_rerun_while_running_points_at_the_newest(url):
    from porting.rerun import rerun_with_begin_process

    rerun_with_begin_process(url, [2])
    newest = rerun_with_begin_process(url, [4])
    assert poll.get_taskid_from_url(url) == newest


@pytest.mark.parametrize("view", ["progress", "progress_with_madronas_api"])
def test_progress_view_reports_failure_so_the_page_stops(view, run_jobs):
    from porting import views
    from porting.tasks import prioritize

    progress = getattr(views, view)
    pk = uuid.uuid4().hex[:8]
    request = RequestFactory().get(f"/scenarios/{pk}/progress/")
    assert _json(progress(request, pk))["error"].startswith("No analysis is known")
    poll.begin_process(prioritize, ([2, -5],), polling_url=f"/scenarios/{pk}/")
    assert _json(progress(request, pk))["done"] is False
    run_jobs()
    answer = _json(progress(request, pk))
    assert answer["done"] is True and "result" not in answer
    assert answer["error"]
    poll.begin_process(prioritize, ([2, 3, 4],), polling_url=f"/scenarios/{pk}/")
    run_jobs()
    assert _json(progress(request, pk))["result"] == [2, 4]


def test_madronas_view_shows_the_error_text(run_jobs):
    from porting.tasks import prioritize
    from porting.views import progress_with_madronas_api

    poll.begin_process(prioritize, ([-1],), polling_url="/scenarios/9/")
    run_jobs()
    answer = _json(progress_with_madronas_api(RequestFactory().get("/"), 9))
    assert answer["status"] == "FAILURE"
    assert answer["error"] == "planning unit -1 is outside the study region"


def _json(response):
    import json

    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db(transaction=True)
def test_model_keeps_its_result_for_ever(run_jobs, redis_db):
    from porting.models import Analysis

    analysis = Analysis.objects.create(units=[1, 2, 4])
    assert analysis.stored_result() is None  # still queued
    run_jobs()
    assert analysis.stored_result() == [2, 4]
    redis_db.flushdb()  # the cached result expired
    assert Analysis.objects.get(pk=analysis.pk).stored_result() == [2, 4]
    assert redis_db.dbsize() == 0  # nothing ran again
    analysis.units = [6]
    analysis.save()  # new inputs: the stored result is dropped, the analysis runs again
    run_jobs()
    assert Analysis.objects.get(pk=analysis.pk).stored_result() == [6]


def test_lifetime_settings_example(settings, url, run_jobs, redis_db):
    from porting.tasks import prioritize

    from django_rq_poll.core import keys

    poll.begin_process(prioritize, ([2],), polling_url=url)
    run_jobs()
    assert 86_000 < redis_db.ttl(keys.url_key(url)) <= 86_400  # the default: one day
    settings.RQ_POLL = {**settings.RQ_POLL, **runpy.run_path(_path("settings.py"))["RQ_POLL"]}
    poll.begin_process(prioritize, ([2],), polling_url=url + "w")
    run_jobs()
    assert 604_000 < redis_db.ttl(keys.url_key(url + "w")) <= 604_800


def _path(name: str) -> str:
    return os.path.join(EXAMPLES, "porting", name)


def test_status_table_matches_the_compat_module():
    """docs/migrating.rst's table of words is the one the compat module answers."""
    with open(os.path.join(ROOT, "docs", "migrating.rst"), encoding="utf-8") as f:
        page = f.read()
    rows = re.findall(r"^   \* - ``(\w+)``\n     - :attr:`~django_rq_poll.State.(\w+)`", page, re.M)
    from_docs = {poll.State[state]: word for word, state in rows if word != "RETRY"}
    stopped = ("REVOKED", "FAILED")  # the documented exception: a stopped job
    assert set(rows) >= {stopped}
    assert {**from_docs, poll.State.FAILED: "FAILURE"} == madrona.CELERY_STATES


@pytest.mark.parametrize("rerun", ["rerun_with_forget_process", "rerun_with_madronas_api"])
def test_simultaneous_saves_after_a_run_start_one_job(rerun, url, run_jobs, redis_db):
    import threading

    from porting import rerun as examples

    run = getattr(examples, rerun)
    run(url, [2])
    run_jobs()
    before = set(redis_db.keys(b"rq:job:*"))
    barrier = threading.Barrier(12)
    seen: list[str] = []

    def save() -> None:
        barrier.wait()
        seen.append(run(url, [4]))

    threads = [threading.Thread(target=save) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 12 and len(set(seen)) == 1  # no save raised; all found one job
    assert len(set(redis_db.keys(b"rq:job:*")) - before) == 1
    run_jobs()
    assert poll.get_process_result(url) == [4]


def test_django_rqs_default_result_ttl_still_wins_when_set(settings, url, run_jobs, redis_db):
    from porting.tasks import prioritize

    from django_rq_poll.core import keys

    settings.RQ = {"DEFAULT_RESULT_TTL": 1_000}
    poll.begin_process(prioritize, ([2],), polling_url=url)
    run_jobs()
    assert 900 < redis_db.ttl(keys.url_key(url)) <= 1_000
