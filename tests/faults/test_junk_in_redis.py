"""Whatever Redis holds, every reader answers: junk in a job's hash, under the mapping
prefix or in rq's sets never makes a 500 or a traceback (issue 18).

Each case writes bytes no program of ours writes (non-UTF-8, NUL, a status no rq has)
into a real job's keys, then asks every reader: the API on both sides, the sync and the
async page, htmx, the status endpoint, the stream, the tags, and ``rqpoll``.
"""

from __future__ import annotations

import contextlib
import json
from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import AsyncClient, Client
from rq.job import Job

import django_rq_poll as poll
from django_rq_poll.core import keys
from django_rq_poll.push import listen
from tests import tasks

PAGE = "/sum/?x=5&y=6"
CASES = {
    "status non-UTF-8": ("status", b"fin\xffished"),
    "status with NUL": ("status", b"fin\x00ished"),
    "status unknown": ("status", b"zombie"),
    "ended_at junk": ("ended_at", b"\x00\xff\x00"),
    "origin junk": ("origin", b"\xff\x00queue"),
    "data junk": ("data", b"\x00\xff not a payload"),
}


def _readers(task_id: str) -> dict[str, int]:
    """What each reader answered (status codes; 0 for an API call that returned)."""
    answers: dict[str, int] = {}
    client = Client(raise_request_exception=False)
    async_side = Client(raise_request_exception=False, headers={"X-Test-Side": "async"})
    for name, asking in (("page", client), ("async page", async_side)):
        page = asking.get(PAGE)
        failed = page.status_code == 500 and b"rq-poll-failed" in page.content
        answers[name] = 0 if failed else page.status_code  # a failed job's page is 500
    answers["htmx"] = client.get(PAGE, HTTP_HX_REQUEST="true").status_code
    answers["status"] = client.get(f"/rq-poll/status/{task_id}/").status_code
    answers["tags"] = client.get("/status-tag/").status_code

    async def stream() -> int:
        response = await AsyncClient(raise_request_exception=False).get(
            f"/rq-poll/events/{task_id}/"
        )
        if response.status_code == 200:
            chunks = aiter(response.streaming_content)
            await anext(chunks)
            await anext(chunks)  # the job's state (or its end)
            await chunks.aclose()
            await listen.hub().aclose()  # this loop's: no connection left behind
        return int(response.status_code)

    answers["stream"] = async_to_sync(stream)()
    for name, ask in (("api", poll.get_process_snapshot), ("aapi", None)):
        try:
            if ask is None:
                async_to_sync(poll.aget_process_snapshot)(task_id=task_id, result=True)
            else:
                ask(task_id=task_id, result=True)
            answers[name] = 0
        except poll.RQPollError:
            answers[name] = 0  # a clear error of the package's is an answer
    commands = (["list", "--json"], ["show", task_id], ["show", "--json", task_id])
    for command in (*commands, ["doctor", "--json"], ["cleanup", "--dry-run", "--json"]):
        out = StringIO()
        with contextlib.suppress(CommandError):
            call_command("rqpoll", *command, stdout=out)
        if "--json" in command:
            json.loads(out.getvalue())
        answers[" ".join(command[:2])] = 0
    return answers


@pytest.mark.parametrize("case", list(CASES))
def test_junk_in_a_jobs_hash(case, run_jobs, redis_db):
    client = Client()
    client.get(PAGE)
    run_jobs()
    task_id = poll.get_taskid_from_url(PAGE)
    field, value = CASES[case]
    redis_db.hset(Job.key_for(task_id), field, value)
    answers = _readers(task_id)
    assert [name for name, code in answers.items() if code >= 500 and code != 503] == []
    if field == "status":  # junk reads failed and says why; a word rq may add reads running
        snap = poll.get_process_snapshot(task_id=task_id)
        if value == b"zombie":
            assert snap.state is poll.State.RUNNING
        else:
            assert snap.state is poll.State.FAILED and "no rq writes" in snap.error
            assert poll.process_has_failed(task_id=task_id)
            assert async_to_sync(poll.aprocess_has_failed)(task_id=task_id)


def test_junk_under_the_mapping_prefix_and_in_rqs_sets(run_jobs, redis_db):
    Client().get(PAGE)
    task_id = poll.get_taskid_from_url(PAGE)
    redis_db.set(keys.url_key("x")[:-4].encode() + b"\xff\x00", b"\xff\x00")  # a binary key
    redis_db.set(keys.url_key("/junk/"), b"\xffnot-an-id\x00")
    redis_db.sadd("rq:workers", b"\xff\x00")
    redis_db.sadd("rq:workers:default", b"\xff\x00")
    redis_db.zadd("rq:failed:default", {b"\xff\x00": 1})
    answers = _readers(task_id)
    assert [name for name, code in answers.items() if code >= 500 and code != 503] == []
    out = StringIO()
    call_command("rqpoll", "cleanup", "--dry-run", "--json", stdout=out)
    json.loads(out.getvalue())
    assert tasks  # the module's tasks run the page's job
