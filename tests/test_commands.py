"""``manage.py rqpoll`` against real Redis and real workers."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import color_style

from django_rq_poll import api
from django_rq_poll.core import keys, meta
from django_rq_poll.core.states import State
from django_rq_poll.drivers import backends
from django_rq_poll.management.commands.rqpoll import printable
from tests import tasks
from tests.drive import mapped as _mapped


def rqpoll(*args: str) -> str:
    out = StringIO()
    call_command("rqpoll", *args, stdout=out, no_color=True)
    return out.getvalue()


def rqpoll_json(*args: str) -> object:
    return json.loads(rqpoll(*args, "--json"))


def vanish(task_id: str) -> None:
    """The job hash disappears (expired or deleted by hand) while its mapping stays."""
    job = backends.backend().fetch_job(task_id)
    assert job is not None
    job.delete()


def test_list_is_empty_without_mappings() -> None:
    assert rqpoll("list") == "No polling URLs.\n"
    assert rqpoll_json("list") == []


def test_list_shows_each_url_with_its_job_and_state(run_jobs) -> None:
    done = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    failed = api.begin_process(tasks.fail, ("nope",), polling_url="/fail/")
    run_jobs()
    waiting = api.begin_process(tasks.add, (1, 1), polling_url="/add/1/1/")

    rows = {row["url"]: row for row in rqpoll_json("list")}
    assert {url: (r["task_id"], r["state"]) for url, r in rows.items()} == {
        "/add/3/5/": (done, "complete"),
        "/fail/": (failed, "failed"),
        "/add/1/1/": (waiting, "pending"),
    }
    assert rows["/add/3/5/"]["queue"] == "default"
    assert rows["/add/3/5/"]["enqueued_at"] is not None

    text = rqpoll("list")
    lines = text.splitlines()
    assert lines[0].split() == ["STATE", "PROGRESS", "JOB", "ID", "URL"]
    assert f"complete           {done} /add/3/5/" in text
    assert f"pending            {waiting} /add/1/1/" in text
    assert lines[-1] == "3 polling URLs (1 complete, 1 failed, 1 pending)."


def test_list_filters_by_state(run_jobs) -> None:
    api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    api.begin_process(tasks.add, (1, 1), polling_url="/add/1/1/")
    assert [r["url"] for r in rqpoll_json("list", "--state", "pending")] == ["/add/1/1/"]
    assert rqpoll("list", "--state", "failed") == "No failed processes.\n"


def test_list_shows_progress(run_jobs) -> None:
    api.begin_process(tasks.report, (4,), polling_url="/report/")
    run_jobs()
    (row,) = rqpoll_json("list")
    assert row["progress"] == {
        "current": 4.0,
        "total": 4.0,
        "message": "step 4 of 4",
        "percent": 100,
    }
    assert "100%" in rqpoll("list")


def test_list_reports_mappings_whose_job_is_gone(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    vanish(task_id)
    (row,) = rqpoll_json("list")
    assert (row["task_id"], row["state"], row["url"]) == (task_id, "gone", None)
    assert "(job gone: `rqpoll cleanup` removes it)" in rqpoll("list")


def test_show_by_url_and_by_id(run_jobs) -> None:
    task_id = api.begin_process(tasks.report, (2,), polling_url="/report/?size=2")
    run_jobs()
    by_url = rqpoll_json("show", "/report/?size=2")
    by_id = rqpoll_json("show", task_id)
    assert by_url == by_id
    assert by_url["task_id"] == task_id
    assert by_url["state"] == "complete"
    assert by_url["rq_status"] == "finished"
    assert by_url["abandoned"] is False
    assert by_url["ended_at"] is not None and by_url["ended_at"].endswith("+00:00")
    assert by_url["result"] == "done"
    assert by_url["error"] is None

    text = rqpoll("show", task_id)
    assert "URL:       /report/?size=2\n" in text
    assert f"Job id:    {task_id}\n" in text
    assert "State:     complete (rq status: finished)\n" in text
    assert "Progress:  2 of 2 (100%) step 2 of 2\n" in text
    assert "Result:    'done'\n" in text


def test_show_says_a_job_whose_worker_stopped_its_heartbeats_is_abandoned(redis_db) -> None:
    """A started job whose worker's heartbeat entry (rq's wip registry) has expired."""
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    redis_db.lpop("rq:queue:default")
    redis_db.hset(f"rq:job:{task_id}", "status", "started")
    redis_db.zadd(f"rq:executions:{task_id}", {"e1": time.time() + 100})
    redis_db.zadd("rq:wip:default", {f"{task_id}:e1": time.time() - 1})
    shown = rqpoll_json("show", task_id)
    assert (shown["state"], shown["rq_status"], shown["abandoned"]) == ("failed", "started", True)
    assert "State:     failed (rq status: started), abandoned: its worker stopped sending " in (
        rqpoll("show", task_id)
    )


def test_show_gives_the_error_of_a_failed_job(run_jobs) -> None:
    api.begin_process(tasks.fail, ("the disk is full",), polling_url="/fail/")
    run_jobs()
    shown = rqpoll_json("show", "/fail/")
    assert shown["state"] == "failed"
    assert "RuntimeError: the disk is full" in shown["error"]
    assert "Error:" in rqpoll("show", "/fail/")


def test_show_keeps_results_that_json_cannot_hold_readable(run_jobs) -> None:
    api.begin_process(tasks.echo, ({1, 2},), polling_url="/set/")
    run_jobs()
    assert rqpoll_json("show", "/set/")["result"] == "{1, 2}"


def test_show_owner(run_jobs) -> None:
    api.begin_process(tasks.add, (1, 2), polling_url="/mine/", meta={meta.META_OWNER: "user:7"})
    assert rqpoll_json("show", "/mine/")["owner"] == "user:7"
    assert "Owner:     user:7\n" in rqpoll("show", "/mine/")


def test_show_unknown_reference_is_a_command_error() -> None:
    with pytest.raises(CommandError, match=r"No process is known for '/nowhere/'"):
        rqpoll("show", "/nowhere/")
    with pytest.raises(CommandError, match="No process is known for 'abc123'"):
        rqpoll("show", "abc123")


def test_show_heals_a_url_whose_job_vanished(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    vanish(task_id)
    with pytest.raises(CommandError, match="No process is known"):
        rqpoll("show", "/add/3/5/")
    assert _mapped("/add/3/5/") is None


def test_forget_a_finished_process_drops_mapping_and_result(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    out = rqpoll("forget", "/add/3/5/")
    assert out == f"Forgot /add/3/5/: mapping and job {task_id} (complete) removed.\n"
    assert api.get_process_status("/add/3/5/") is None
    assert backends.backend().fetch_job(task_id) is None


def test_forget_by_id(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    result = rqpoll_json("forget", task_id)
    assert (result["forgot"], result["job_left_running"]) == (True, False)
    assert _mapped("/add/3/5/") is None


def test_forget_a_queued_process_leaves_the_job(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    out = rqpoll("forget", "/add/3/5/")
    assert "keeps running" in out
    assert _mapped("/add/3/5/") is None
    assert api.get_process_status(task_id=task_id) is State.PENDING


def test_forget_an_orphan_mapping_by_job_id(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    vanish(task_id)
    assert rqpoll("forget", task_id) == f"Removed 1 mapping(s) pointing at gone job {task_id}.\n"
    assert _mapped("/add/3/5/") is None


def test_forget_unknown_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="No process is known for 'deadbeef'"):
        rqpoll("forget", "deadbeef")


def test_cleanup_removes_only_mappings_whose_jobs_are_gone(run_jobs) -> None:
    gone = api.begin_process(tasks.add, (1, 1), polling_url="/gone/")
    api.begin_process(tasks.add, (2, 2), polling_url="/kept/")
    run_jobs()
    api.begin_process(tasks.add, (3, 3), polling_url="/queued/")
    vanish(gone)
    redis_conn = backends.backend().connection
    redis_conn.set(keys.url_key("/garbage/"), "not a job id!")

    assert rqpoll("cleanup", "--dry-run") == (
        "Would remove 2 mappings whose jobs are gone (of 4 checked).\n"
    )
    assert len(rqpoll_json("list")) == 4

    assert rqpoll_json("cleanup") == {"removed": 2, "checked": 4, "dry_run": False}
    assert sorted(r["url"] for r in rqpoll_json("list")) == ["/kept/", "/queued/"]
    assert rqpoll("cleanup") == "Removed 0 mappings whose jobs are gone (of 2 checked).\n"


def test_redis_down_is_a_command_error(settings) -> None:
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    for args in (("list",), ("show", "/x/"), ("forget", "/x/"), ("cleanup",)):
        with pytest.raises(CommandError, match=r"Redis is unreachable at 127\.0\.0\.1:1"):
            rqpoll(*args)


def test_an_action_is_required() -> None:
    with pytest.raises(CommandError, match="ACTION"):
        rqpoll()


# -- the text an operator reads, exactly ---------------------------------------------


def _shown(reference: str, label: str) -> str:
    """The one line of ``rqpoll show`` that gives ``label``."""
    (line,) = [x for x in rqpoll("show", reference).splitlines() if x.startswith(f"{label}:")]
    return line


def _line(state: str, percent: str, task_id: str, url: str) -> str:
    return f"{state:<9} {percent:<8} {task_id:<32} {url}"


def test_list_prints_exact_lines_and_counts_each_state(run_jobs) -> None:
    first = api.begin_process(tasks.add, (3, 5), polling_url="/a/")
    second = api.begin_process(tasks.add, (1, 1), polling_url="/b/")
    gone = api.begin_process(tasks.add, (2, 2), polling_url="/c/")
    run_jobs()
    vanish(gone)
    lines = rqpoll("list").splitlines()
    assert sorted(lines[1:-1]) == sorted(
        [
            _line("complete", "", first, "/a/"),
            _line("complete", "", second, "/b/"),
            _line("gone", "", gone, "(job gone: `rqpoll cleanup` removes it)"),
        ]
    )
    assert lines[-1] == "3 polling URLs (2 complete, 1 gone)."
    assert [r["task_id"] for r in rqpoll_json("list", "--state", "gone")] == [gone]
    api.forget_process("/a/")
    api.forget_process("/b/")
    assert rqpoll("cleanup") == "Removed 1 mapping whose jobs are gone (of 1 checked).\n"
    api.begin_process(tasks.add, (4, 4), polling_url="/d/")
    assert rqpoll("list").splitlines()[-1] == "1 polling URL (1 pending)."


def test_list_colours_finished_lines_by_outcome(run_jobs) -> None:
    api.begin_process(tasks.add, (3, 5), polling_url="/ok/")
    api.begin_process(tasks.fail, ("no",), polling_url="/failed/")
    run_jobs()
    api.begin_process(tasks.add, (1, 1), polling_url="/waiting/")
    out = StringIO()
    call_command("rqpoll", "list", stdout=out, force_color=True)
    style = color_style(force_color=True)
    lines = {line.rsplit(" ", 1)[-1].split("\x1b")[0]: line for line in out.getvalue().splitlines()}
    plain = rqpoll("list").splitlines()
    by_url = {line.rsplit(" ", 1)[-1]: line for line in plain}
    assert lines["/ok/"] == style.SUCCESS(by_url["/ok/"])
    assert lines["/failed/"] == style.ERROR(by_url["/failed/"])
    assert lines["/waiting/"] == by_url["/waiting/"]


def test_show_prints_each_field_it_knows_and_only_those(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    shown = rqpoll_json("show", task_id)
    enqueued, ended = (
        datetime.fromisoformat(shown[k]).isoformat(sep=" ", timespec="seconds")
        for k in ("enqueued_at", "ended_at")
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00", ended)
    assert rqpoll("show", task_id) == (
        "URL:       /add/3/5/\n"
        f"Job id:    {task_id}\n"
        "State:     complete (rq status: finished)\n"
        "Queue:     default\n"
        f"Enqueued:  {enqueued}\n"
        f"Ended:     {ended}\n"
        "Result:    8\n"
    )


def test_show_a_job_started_without_this_app(redis_db) -> None:
    job = backends.backend().queue.enqueue(tasks.add, 1, 2)
    assert rqpoll("show", job.id).splitlines()[0] == "URL:       (none in the job's meta)"


def test_show_cuts_a_long_result_at_300_characters(run_jobs) -> None:
    api.begin_process(tasks.echo, ("x" * 298,), polling_url="/fits/")
    api.begin_process(tasks.echo, ("y" * 400,), polling_url="/long/")
    run_jobs()
    assert _shown("/fits/", "Result") == "Result:    " + repr("x" * 298)  # 300: kept whole
    assert _shown("/long/", "Result") == "Result:    " + repr("y" * 400)[:299] + "…"


def test_printable_escapes_what_would_drive_a_terminal() -> None:
    assert printable("plain") == "plain"
    assert printable("a\x1b[2Jb\x7f") == "a\\x1b[2Jb\\x7f"
    assert printable("\xe9\xad") == "\xe9\\xad"  # é prints; a soft hyphen does not
    assert printable("\u0100\u202e\uffff") == "\u0100\\u202e\\uffff"
    assert printable("\U000e0001\U00010000") == "\\U000e0001\U00010000"
    assert printable("one\ntwo\tthree") == "one\\x0atwo\\x09three"
    assert printable("one\ntwo\tthree\r", lines=True) == "one\ntwo\tthree\\x0d"


def test_forget_an_orphan_as_json(run_jobs) -> None:
    task_id = api.begin_process(tasks.add, (3, 5), polling_url="/add/3/5/")
    run_jobs()
    vanish(task_id)
    assert rqpoll_json("forget", task_id) == {"task_id": task_id, "state": "gone", "forgot": True}


def test_json_is_indented_for_a_reader() -> None:
    assert rqpoll("cleanup", "--json") == (
        '{\n  "removed": 0,\n  "checked": 0,\n  "dry_run": false\n}\n'
    )


def test_doctor_text_names_the_queue_of_each_finding_and_colours_its_status() -> None:
    out = StringIO()
    with pytest.raises(CommandError, match=r"^rqpoll doctor found \d+ problems?\.$"):
        call_command("rqpoll", "doctor", stdout=out, force_color=True)
    style = color_style(force_color=True)
    colour = {"OK": style.SUCCESS, "WARNING": style.WARNING, "PROBLEM": style.ERROR}
    *lines, summary = out.getvalue().splitlines()
    plain_lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    for line, plain in zip(lines, plain_lines, strict=True):
        assert line == colour.get(plain.split()[0], str)(plain)
    assert {"OK", "WARNING", "PROBLEM", "UNKNOWN"} <= {line.split()[0] for line in plain_lines}
    assert any(line.startswith("OK       redis      127.0.0.1:") for line in plain_lines)
    assert any(line.startswith("PROBLEM  workers    [default] no worker") for line in plain_lines)
    assert re.fullmatch(r"\d+ ok, \d+ warnings?, \d+ problems?, \d+ unknown\.", summary)


def test_show_a_queued_job_and_progress_without_a_total(run_jobs) -> None:
    queued = api.begin_process(tasks.add, (1, 2), polling_url="/queued/")
    enqueued = datetime.fromisoformat(rqpoll_json("show", queued)["enqueued_at"])
    assert rqpoll("show", queued) == (  # no end, no result: no such lines
        "URL:       /queued/\n"
        f"Job id:    {queued}\n"
        "State:     pending (rq status: queued)\n"
        "Queue:     default\n"
        f"Enqueued:  {enqueued.isoformat(sep=' ', timespec='seconds')}\n"
    )
    api.begin_process(tasks.report_values, ((3, None, "three rows"),), polling_url="/rows/")
    run_jobs()
    assert _shown("/rows/", "Progress") == "Progress:  3 three rows"


def test_show_a_result_json_cannot_hold_by_its_repr(run_jobs) -> None:
    moment = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)
    api.begin_process(tasks.echo, (moment,), polling_url="/moment/")
    run_jobs()
    assert rqpoll_json("show", "/moment/")["result"] == repr(moment)  # not str(): its type


def test_an_unknown_reference_says_what_it_is_not() -> None:
    with pytest.raises(CommandError) as refused:
        rqpoll("show", "/nowhere/")
    assert str(refused.value) == (
        "No process is known for '/nowhere/': it is neither the id of an existing job nor a "
        "polling URL whose job still exists."
    )


def test_doctor_counts_each_status_in_its_last_line() -> None:
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("rqpoll", "doctor", stdout=out, no_color=True)
    *lines, summary = out.getvalue().splitlines()
    counts = {
        s: sum(line.split()[0] == s.upper() for line in lines)
        for s in ("ok", "warning", "problem", "unknown")
    }
    words = {"ok": "ok", "warning": "warnings", "problem": "problems", "unknown": "unknown"}
    assert counts["warning"] > 1 and counts["problem"] > 1  # plural where English has one
    assert summary == ", ".join(f"{n} {words[s]}" for s, n in counts.items() if n) + "."


def test_list_refuses_a_state_it_does_not_know() -> None:
    with pytest.raises(CommandError, match=r"invalid choice: 'finished' \(choose from "):
        rqpoll("list", "--state", "finished")  # rq's word; this app says "complete"
