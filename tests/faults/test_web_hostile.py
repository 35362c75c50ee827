"""Hostile requests against the status endpoint and the polling pages.

Alice's finished job holds a secret result. Bob, an anonymous visitor and generated
input (any text, control characters, lone surrogates, huge query strings) ask for it
every way we could think of: the answer is a 404, a 503 never, a page of their own, or
(for their own failed job) the failure page; never Alice's result, never a trace.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.faults.web import body, client, problems
from tests.redis_server import written

SECRET = "for alice"  # the result of Alice's job (tests.tasks.owner_of)
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _wsgi(text: str) -> str:
    """A string as a WSGI server hands it over: its raw bytes, read as latin-1."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _status_path(job_id: str) -> str:
    return "/rq-poll/status/" + quote(job_id.encode("utf-8", "surrogatepass"), safe="") + "/"


@pytest.fixture
def alices_job(alice, run_jobs):
    """Alice's finished job behind ``/whose/?x=1``: (her client, its id)."""
    browser = client()
    browser.force_login(alice)
    task_id = browser.get("/whose/?x=1").context["task_id"]
    run_jobs()
    assert SECRET in body(browser.get("/whose/?x=1"))
    return browser, task_id


@pytest.fixture
def visitors(bob):
    anonymous = client()
    logged_in = client()
    logged_in.force_login(bob)
    return {"anonymous": anonymous, "bob": logged_in}


def _check(tally, kind: str, label: str, response, allowed=(404,)) -> list[str]:
    tally.fault(kind)
    wrong = problems(response, allowed, secrets=(SECRET,))
    tally.answer(kind, not wrong, f"{label}: {wrong}")
    return wrong


def test_alices_job_id_and_guesses(alices_job, alice, visitors, tally):
    kind = "page: another user's id"
    browser, task_id = alices_job
    assert browser.get(_status_path(task_id)).status_code == 200  # she may read it
    guesses = [
        task_id,
        task_id.upper(),
        task_id[:-1],
        task_id + "0",
        f"rq:job:{task_id}",
        f"../{task_id}",
        uuid.uuid4().hex,
        str(uuid.uuid4()),
        "",
        "*",
        "..",
    ]
    for who, visitor in visitors.items():
        for guess in guesses:
            response = visitor.get(_status_path(guess))
            _check(tally, kind, f"{who} status {guess!r}", response)
    tally.assert_clean(kind)


@pytest.mark.parametrize(
    "query",
    [
        "x=1#user={pk}",  # Alice's polling key is "/whose/?x=1#user=<pk>"
        "x=1%23user={pk}",
        "#user={pk}",
        "x=1&#user={pk}",
    ],
)
def test_query_string_cannot_name_alices_key(alices_job, alice, visitors, query, tally):
    """A raw '#' reaches QUERY_STRING on some servers (runserver, uvicorn with h11)."""
    kind = "page: query names a key"
    raw = query.format(pk=alice.pk)
    for who, visitor in visitors.items():
        response = visitor.get("/whose/", QUERY_STRING=raw)
        _check(tally, kind, f"{who} /whose/?{raw}", response, allowed=(202,))
    tally.assert_clean(kind)


@PROPERTY
@given(job_id=ANY_TEXT)
@example(job_id="\x00")
@example(job_id="\ud800")
@example(job_id="a" * 100_000)
@example(job_id="a/b")
def test_any_text_as_job_id(alices_job, visitors, job_id, tally):
    for who, visitor in visitors.items():
        response = visitor.get(_status_path(job_id))
        assert not _check(tally, "page: hostile job id", f"{who} {job_id!r:.60}", response)


@PROPERTY
@given(query=ANY_TEXT)
@example(query="a" * 100_000)
@example(query="x=1&" * 25_000)  # 100 kB and far more fields than Django parses
@example(query="\x00\r\n<script>")
def test_any_query_string_on_a_polled_page(alices_job, visitors, query, tally, uncapped):
    # Over RQ_POLL['MAX_URL_LENGTH'] (2,048 characters once encoded) the answer is 414.
    allowed = (414,) if len(query) > 2048 else (202, 414)
    for who, visitor in visitors.items():
        for page in ("/whose/", "/plain/"):
            response = visitor.get(page, QUERY_STRING=_wsgi(query))
            label = f"{who} {page}?{query!r:.60}"
            assert not _check(tally, "page: hostile query string", label, response, allowed)


@pytest.fixture
def uncapped(settings):
    """Many distinct queries from one visitor: the per-visitor cap is tested in tests/abuse."""
    settings.RQ_POLL = {**settings.RQ_POLL, "MAX_ACTIVE_JOBS": None}


def test_huge_query_string_is_refused_and_stores_nothing(visitors, redis_db, tally):
    kind = "page: hostile query string"
    query = "q=" + "ü" * 50_000  # 100 kB once encoded
    for who, visitor in visitors.items():
        response = visitor.get("/plain/", QUERY_STRING=_wsgi(query))
        _check(tally, kind, f"{who} huge query", response, allowed=(414,))
    tally.answer(kind, written(redis_db) == [], "a refused query wrote to Redis")
    tally.assert_clean(kind)


def test_long_query_string_runs_to_its_result(visitors, run_jobs, tally):
    kind = "page: hostile query string"
    query = "q=" + "ü" * 150  # 1.8 kB in get_full_path(): just under the length limit
    for who, visitor in visitors.items():
        first = visitor.get("/plain/", QUERY_STRING=_wsgi(query))
        _check(tally, kind, f"{who} long query, first", first, allowed=(202,))
        status = visitor.get(_status_path(first.context["task_id"]))
        _check(tally, kind, f"{who} long query, status", status, allowed=(200,))
    run_jobs()
    for who, visitor in visitors.items():
        done = visitor.get("/plain/", QUERY_STRING=_wsgi(query))
        _check(tally, kind, f"{who} long query, done", done, allowed=(200,))
        tally.answer(kind, body(done) == "plain 42", f"{who}: {body(done)[:60]!r}")
    tally.assert_clean(kind)


def test_own_failed_job_is_the_only_500(visitors, run_jobs):
    """The documented failure page: 500, the error text kept from non-staff."""
    for visitor in visitors.values():
        visitor.get("/fail/")
    run_jobs()
    for visitor in visitors.values():
        response = visitor.get("/fail/")
        assert problems(response, (500,)) == []
        page = body(response)
        assert "This process failed." in page
        assert "secret" not in page and "RuntimeError" not in page
