"""``rqpoll doctor`` against real Redis servers configured to differ, and real workers."""

from __future__ import annotations

import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_rq.settings import QUEUES
from rq import Worker

import django_rq_poll as poll
from django_rq_poll.drivers import backends
from django_rq_poll.ops import acl, doctor
from tests import tasks
from tests.faults.helpers import wait_until
from tests.workers import stop_warmly

JSON = "rq.serializers.JSONSerializer"


@pytest.fixture(autouse=True)
def _without_tasks(settings):
    """These tests count the findings of RQ_QUEUES; Django's tasks (their own check,
    tests/backends/test_doctor.py) are left out."""
    settings.TASKS = {}


@pytest.fixture
def use_queues(monkeypatch):
    """RQ_QUEUES replaced by the queues given (django-rq reads the dict its settings module
    built at import, so it is changed in place)."""

    def use(queues: dict[str, dict[str, object]]) -> None:
        for name in list(QUEUES):
            monkeypatch.delitem(QUEUES, name)
        for name, options in queues.items():
            monkeypatch.setitem(QUEUES, name, options)
        backends.clear_cache()

    yield use
    backends.clear_cache()


@pytest.fixture
def only_queue(use_queues):
    """RQ_QUEUES with one queue, 'default', on the Redis given."""

    def use(url: str, **extra: object) -> None:
        use_queues({"default": {"URL": url, **extra}})

    return use


def rqpoll_doctor(*args: str) -> tuple[dict, int]:
    out = StringIO()
    try:
        call_command("rqpoll", "doctor", "--json", *args, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return json.loads(out.getvalue()), code


def by_check(report: dict) -> dict[str, str]:
    return {f["check"]: f["status"] for f in report["findings"]}


def one_finding(report: dict, check: str) -> dict:
    """The report's one finding of ``check``."""
    (finding,) = [f for f in report["findings"] if f["check"] == check]
    return finding


def _with_worker(url, killable_worker, *args: str):
    worker = killable_worker(*args, "default", env={"REDIS_URL": url})
    wait_until(lambda: Worker.all(queue=backends.backend().queue), timeout=60)
    return worker


def test_a_healthy_deployment(private_redis, only_queue, killable_worker, settings, tmp_path):
    server = private_redis()
    only_queue(server.url)
    _with_worker(server.url, killable_worker)
    # static files collected, as a deploy does (tests/ops/test_static.py: the other cases)
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.staticfiles"]
    settings.STATIC_ROOT = str(tmp_path / "static")
    call_command("collectstatic", "--noinput", verbosity=0)
    report, code = rqpoll_doctor()
    assert code == 0 and report["ok"]
    assert by_check(report) == {
        "redis": "ok",
        "version": "ok",  # the suite's Redis 7.0
        "eviction": "ok",
        "result size": "ok",  # 16 MB under the server's 512 MB bulk limit
        "acl": "ok",  # the default user may run ACL DRYRUN, and has everything
        "scripts": "ok",
        "workers": "ok",
        "serializer": "unknown",  # rq does not record it
        "static files": "ok",  # poll.js collected, the installed version
    }
    report, code = rqpoll_doctor("--probe", "30")
    assert code == 0
    # the probe's proof replaces the "unknown" it settles (0.2.0 printed both)
    assert [f["status"] for f in report["findings"] if f["check"] == "serializer"] == ["ok"]
    text = StringIO()
    call_command("rqpoll", "doctor", "--probe", "30", stdout=text, no_color=True)
    assert text.getvalue().strip().endswith("9 ok.")
    text = StringIO()
    call_command("rqpoll", "doctor", stdout=text, no_color=True)
    assert "OK       eviction" in text.getvalue()
    assert text.getvalue().strip().endswith("8 ok, 1 unknown.")


@pytest.mark.parametrize("policy", ["volatile-ttl", "allkeys-lru"])
def test_an_eviction_policy_other_than_noeviction(policy, private_redis, only_queue):
    only_queue(private_redis("--maxmemory-policy", policy).url)
    report, code = rqpoll_doctor()
    assert code == 1 and not report["ok"]
    finding = one_finding(report, "eviction")
    assert finding["status"] == "problem" and policy in finding["message"]


def test_a_bulk_limit_below_max_result_bytes_is_a_warning(private_redis, only_queue):
    only_queue(private_redis("--proto-max-bulk-len", "1mb").url)
    report, _ = rqpoll_doctor()
    finding = one_finding(report, "result size")
    assert finding["status"] == "warning" and "proto-max-bulk-len" in finding["message"]


def test_no_worker_on_the_polling_queue(private_redis, only_queue):
    only_queue(private_redis().url)
    report, code = rqpoll_doctor()
    assert code == 1
    assert by_check(report)["workers"] == "problem"
    text = StringIO()
    with pytest.raises(CommandError, match=r"found 1 problem\."):
        call_command("rqpoll", "doctor", stdout=text, no_color=True)
    only_queue(private_redis("--maxmemory-policy", "allkeys-lru").url)
    text = StringIO()
    with pytest.raises(CommandError, match=r"found 2 problems\."):
        call_command("rqpoll", "doctor", stdout=text, no_color=True)
    assert "2 problems" in text.getvalue()  # the summary line counts in words too


def test_a_worker_with_another_serializer(private_redis, only_queue, killable_worker):
    """The queue says JSON; the worker was started without --serializer (pickle)."""
    server = private_redis()
    only_queue(server.url, SERIALIZER=JSON)
    bad = _with_worker(server.url, killable_worker)  # env: tests.settings has no SERIALIZER
    report, code = rqpoll_doctor("--probe", "30")
    assert code == 1
    probe = [f for f in report["findings"] if f["check"] == "serializer"][-1]
    assert probe["status"] == "problem" and "--serializer" in probe["message"]
    # and from the failures such a worker leaves behind, without a probe
    url = f"/doctor/{uuid.uuid4().hex}"
    poll.begin_process(tasks.add, (1, 2), polling_url=url)
    wait_until(lambda: poll.process_has_failed(url), timeout=30)
    report, code = rqpoll_doctor()
    evidence = one_finding(report, "serializer")
    assert code == 1 and evidence["status"] == "problem"
    assert JSON in evidence["message"]
    # the worker fixed: its old failures are history, not a problem of the workers now
    assert stop_warmly(bad) == 0  # a warm shutdown: rq takes the worker off its registry
    wait_until(lambda: not Worker.all(queue=backends.backend().queue), timeout=60)
    _with_worker(server.url, killable_worker, "--serializer", JSON)
    report, code = rqpoll_doctor()
    evidence = one_finding(report, "serializer")
    assert evidence["status"] == "warning" and "no longer running" in evidence["message"]


def test_the_matching_worker_passes_the_probe(private_redis, only_queue, killable_worker):
    server = private_redis()
    only_queue(server.url, SERIALIZER=JSON)
    _with_worker(server.url, killable_worker, "--serializer", JSON)
    report, code = rqpoll_doctor("--probe", "30")
    assert code == 0
    assert [f for f in report["findings"] if f["check"] == "serializer"][-1] == {
        "check": "serializer",
        "status": "ok",
        "message": "a worker ran a test job and its result reads back: the serializers match",
        "queue": "default",
    }
    assert server.client().keys("rq:job:*") == []  # the test job is not left behind


def test_the_probe_fails_on_a_worker_with_another_serializer(
    private_redis, only_queue, killable_worker
):
    server = private_redis()
    only_queue(server.url, SERIALIZER=JSON)
    _with_worker(server.url, killable_worker)  # rqworker's default: pickle
    report, code = rqpoll_doctor("--probe", "30")
    (finding,) = [f for f in report["findings"] if f.get("message", "").startswith("the test")]
    assert code == 1
    assert (finding["check"], finding["status"], finding["queue"]) == (
        "serializer",
        "problem",
        "default",
    )
    assert finding["message"] == (  # the state, then the last line of the job's error
        "the test job failed: rq.exceptions.DeserializationError. "
        f"Does the worker run --serializer {JSON}?"
    )


def _user(server, rules) -> str:
    server.client().execute_command("ACL", "SETUSER", "site", "reset", "on", ">pw", *rules)
    return f"redis://site:pw@127.0.0.1:{server.port}/0"


def test_acl_checked_with_dryrun_names_what_is_missing(private_redis, only_queue):
    server = private_redis()
    rules = [r for r in acl.rules("rq_poll") if r not in ("+zscore", "&rq:pubsub:*")]
    only_queue(_user(server, [*rules, "+acl|dryrun"]))
    report, code = rqpoll_doctor()
    finding = one_finding(report, "acl")
    assert code == 1 and finding["status"] == "problem"
    where = f"127.0.0.1:{server.port} (db 0)"
    channel = "This user has no permissions to access the 'rq:pubsub:x' channel"
    assert finding["message"] == (
        f"{where}: ACL user 'site' lacks: publish rq:pubsub:x ({channel}); "
        f"subscribe rq:pubsub:x ({channel}); "
        "zscore rq:wip:default (This user has no permissions to run the 'zscore' command). "
        "`rqpoll doctor --acl` prints the rules it needs."
    )
    only_queue(_user(server, [*acl.rules("rq_poll"), "+acl|dryrun"]))
    finding = one_finding(rqpoll_doctor()[0], "acl")
    assert (finding["status"], finding["message"]) == (
        "ok",
        f"{where}: ACL user 'site' has every permission needed",
    )


def test_without_acl_dryrun_in_redis_the_acl_is_unknown(private_redis, only_queue):
    """A server without ACL DRYRUN (Redis 6, or the command renamed away)."""
    server = private_redis("--rename-command", "ACL", "ACL-RENAMED")
    only_queue(server.url)
    finding = one_finding(rqpoll_doctor()[0], "acl")
    assert (finding["status"], finding["queue"]) == ("unknown", None)
    message = finding["message"]  # Redis's own words in the middle differ by version
    assert message.startswith(f"127.0.0.1:{server.port} (db 0): ACL DRYRUN is not available (")
    assert "unknown command" in message and message.endswith("); Redis 7 has it")


def test_acl_of_a_user_without_dryrun_is_probed(private_redis, only_queue):
    """The documented user may not run ACL DRYRUN: every command is tried on keys and
    channels of the doctor's own, and the user passes; nothing is left behind."""
    server = private_redis()
    only_queue(_user(server, acl.rules("rq_poll")))
    report, code = rqpoll_doctor()
    checks = by_check(report)
    assert checks["acl"] == "ok" and checks["scripts"] == "ok", report
    assert code == 1 and checks["workers"] == "problem"  # none started in this test
    assert checks["eviction"] == "ok"  # INFO, which the user has, reports the policy
    size = one_finding(report, "result size")
    assert (size["status"], size["message"]) == (
        "unknown",
        f"127.0.0.1:{server.port} (db 0): the server does not say its proto-max-bulk-len "
        "(CONFIG GET refused); results are refused over RQ_POLL['MAX_RESULT_BYTES'] "
        "(16777216)",
    )
    finding = one_finding(report, "acl")
    assert finding["message"] == (
        f"127.0.0.1:{server.port} (db 0): ACL user 'site' has every permission needed "
        "(checked by running each command on keys of the doctor's own, since it may not run "
        "ACL DRYRUN)"
    )
    assert server.client().keys("*") == []  # nothing left behind, whatever its name


def test_without_dryrun_the_missing_rules_are_named_with_redis_refusals(private_redis, only_queue):
    server = private_redis()
    taken = ("+hset", "+zadd", "+client|setname")
    only_queue(_user(server, [r for r in acl.rules("rq_poll") if r not in taken]))
    finding = one_finding(rqpoll_doctor()[0], "acl")
    refusal = "this user has no permissions to run the '{}' command"
    assert finding["message"].endswith(
        "since it may not run ACL DRYRUN) lacks: "
        f"client setname ({refusal.format('client|setname')}); "
        f"hset rq:job:x ({refusal.format('hset')}); "
        f"zadd rq:wip:default ({refusal.format('zadd')}). "
        "`rqpoll doctor --acl` prints the rules it needs."
    ), finding["message"]


@pytest.mark.parametrize(
    "taken",
    [
        "+scan", "+lpush", "+zadd", "+hset", "+xadd", "+watch", "+multi", "+exec",
        "+subscribe", "+unsubscribe", "+client|setname", "+blmove", "+evalsha",
        "~rq_poll:*", "~rq:*", "&rq:pubsub:*", "&rq_poll:events:*",
    ],
)  # fmt: skip
def test_without_dryrun_every_missing_rule_is_found(private_redis, only_queue, taken):
    """The documented rules minus one: the probe names it, whichever it is (0.2.0's
    found only SCAN, PUBLISH, EVALSHA and the key pattern, and passed the rest). HELLO
    is not among them: Redis answers it to every connection, granted or not."""
    server = private_redis()
    only_queue(_user(server, [r for r in acl.rules("rq_poll") if r != taken]))
    report, code = rqpoll_doctor()
    finding = one_finding(report, "acl")
    assert code == 1 and finding["status"] == "problem", finding
    named = taken.lstrip("+").replace("|", " ")
    if taken.startswith("+"):
        assert named in finding["message"], finding["message"]


@pytest.mark.parametrize(
    ("taken", "check", "status", "start"),
    [
        ("+smembers", "workers", "problem", "cannot list workers: "),
        ("+zrange", "serializer", "unknown", "cannot read failed jobs: "),
    ],
)
def test_a_refused_read_of_a_queue_is_a_finding_on_that_queue(
    private_redis, only_queue, taken, check, status, start
):
    server = private_redis()
    only_queue(_user(server, [r for r in acl.rules("rq_poll") if r != taken]))
    finding = one_finding(rqpoll_doctor()[0], check)
    assert (finding["status"], finding["queue"]) == (status, "default")
    assert finding["message"].startswith(start + "this user has no permissions"), finding


def test_scripts_that_cannot_be_loaded(private_redis, only_queue):
    server = private_redis()
    only_queue(_user(server, [r for r in acl.rules("rq_poll") if r != "+script|load"]))
    report, code = rqpoll_doctor()
    assert code == 1 and by_check(report)["scripts"] == "problem"
    finding = one_finding(report, "scripts")
    assert f"127.0.0.1:{server.port} (db 0): SCRIPT LOAD failed: Redis at " in finding["message"]


def test_info_that_cannot_be_read(private_redis, only_queue):
    server = private_redis()
    only_queue(_user(server, [r for r in acl.rules("rq_poll") if r != "+info"]))
    report, code = rqpoll_doctor()
    finding = one_finding(report, "redis")
    assert code == 1 and finding["status"] == "problem"
    assert finding["message"] == (
        f"127.0.0.1:{server.port} (db 0): cannot read INFO: this user has no permissions to "
        "run the 'info' command"
    )


def test_unreachable_redis(only_queue):
    only_queue("redis://127.0.0.1:1/0?socket_connect_timeout=0.2")
    report, code = rqpoll_doctor()
    assert code == 1
    # nothing more about that server or its queues; static files are not on it
    assert [f["check"] for f in report["findings"]] == ["redis", "static files"]


@pytest.mark.parametrize(
    ("version", "status"),
    [("7.0.15", "ok"), ("7.2.4", "warning"), ("6.2.14", "warning"), ("6.0.9", "problem")],
)
def test_versions(version, status):
    assert doctor._version(version, "here").status == status


def test_acl_line_for_the_sites_prefix(settings, private_redis, only_queue):
    """The printed line, run as printed with a password filled in, makes a user that
    passes the doctor's acl check on that prefix."""
    settings.RQ_POLL = {"QUEUE": "default", "PREFIX": "shop"}
    out = StringIO()
    call_command("rqpoll", "doctor", "--acl", stdout=out)
    line = out.getvalue().strip()
    assert line == acl.setuser_line("shop")
    assert "~shop:*" in line.split()
    server = private_redis()
    server.client().execute_command(*line.replace(">PASSWORD", ">pw").split())
    only_queue(f"redis://site:pw@127.0.0.1:{server.port}/0")
    assert by_check(rqpoll_doctor()[0])["acl"] == "ok"


def test_every_server_and_every_reachable_queue_is_examined(private_redis, use_queues):
    """Queues in name order after the home one: a second queue on a server already seen,
    an unreachable one, then another server's: each server once, each reachable queue."""
    first, second = private_redis(), private_redis()
    use_queues(
        {
            "default": {"URL": first.url},
            "aaa": {"URL": first.url},
            "bbb": {"URL": "redis://127.0.0.1:1/0?socket_connect_timeout=0.2"},
            "ccc": {"URL": second.url},
        }
    )
    report, _ = rqpoll_doctor()
    servers = [f["message"].split(":", 2)[:2] for f in report["findings"] if f["check"] == "redis"]
    assert [port.split()[0] for _, port in servers] == [
        str(first.port),
        "1",
        str(second.port),
    ]
    workers = [f["queue"] for f in report["findings"] if f["check"] == "workers"]
    assert workers == ["default", "aaa", "ccc"]  # not "bbb", whose server is down
