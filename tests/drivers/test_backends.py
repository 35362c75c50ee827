"""Each queue's backend: rq's synchronous calls the programs make through it, the worker
count it reuses for a moment, and the operators' tools (doctor, rqpoll)."""

from __future__ import annotations

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.queue import Queue

import django_rq_poll as poll
from django_rq_poll.conf import conf
from django_rq_poll.core import keys, reads, scripts
from django_rq_poll.drivers import backends, sync
from django_rq_poll.exceptions import RedisUnavailable
from tests import tasks


def test_a_job_is_fetched_with_its_own_queues_serializer():
    """The default queue's backend reads a JSON queue's job (pickle and JSON can mix)."""
    task_id = poll.begin_process(tasks.add, (1, 2), queue="json")
    job = backends.backend().fetch_job(task_id)
    assert job is not None and (job.id, job.args) == (task_id, [1, 2])
    assert backends.backend().fetch_job("no-such-job") is None
    assert backends.backend().fetch_job("not an id!") is None


def test_the_worker_count_is_reused_until_it_lapses(monkeypatch):
    home = backends.backend()
    assert home.remembered_worker_count() is None
    assert home.remember_worker_count(3) == 3
    assert home.remembered_worker_count() == 3
    monkeypatch.setattr(backends, "WORKER_COUNT_TTL", -1.0)
    home.remember_worker_count(5)
    assert home.remembered_worker_count() is None


def test_cancelling_a_vanished_or_canceled_job_answers_false(redis_db):
    home = backends.backend()
    first = home.fetch_job(poll.begin_process(tasks.add, (1, 2)))
    assert first is not None and home.cancel_job(first) is True
    assert home.cancel_job(first) is False  # canceled already
    second = home.fetch_job(poll.begin_process(tasks.add, (1, 2)))
    assert second is not None
    redis_db.delete(second.key)
    assert home.cancel_job(second) is False
    assert not redis_db.exists(second.key)  # not brought back as a bare status


def test_stopping_a_job_that_no_worker_runs_answers_false():
    home = backends.backend("json")
    job = home.fetch_job(poll.begin_process(tasks.add, (1, 2), queue="json"))
    assert job is not None and home.stop_job(job) is False


def test_deleting_a_job_deletes_it_once(redis_db):
    home = backends.backend()
    job = home.fetch_job(poll.begin_process(tasks.add, (1, 2)))
    assert job is not None
    assert home.delete_job(job) is True
    assert not redis_db.exists(job.key)
    assert home.delete_job(job) is False


def test_an_unreachable_redis_is_named_in_the_error():
    no_retry = Retry(NoBackoff(), 0)  # refused at once, not after redis-py's retries
    queue = Queue("far", connection=redis.Redis(port=1, socket_connect_timeout=1, retry=no_retry))
    far = backends.Backend(queue)
    with pytest.raises(RedisUnavailable) as caught:
        far.fetch_job("0" * 32)
    assert caught.value.where == far.where
    with pytest.raises(RedisUnavailable) as caught:
        far.run(reads.state(far, None, "0" * 32))  # a program, through the sync driver
    assert caught.value.where == far.where
    with pytest.raises(RedisUnavailable) as caught:
        sync.run_on(reads.state(far, None, "0" * 32), far)
    assert caught.value.where == far.where
    assert "queue 'far'" in far.where


def test_every_mapping_is_listed_as_text(redis_db):
    first = poll.begin_process(tasks.add, (1, 2), polling_url="/a/")
    second = poll.begin_process(tasks.add, (1, 3), polling_url="/b/")
    redis_db.set(keys.url_key("/garbage/"), b"\xff-id")
    found = dict(backends.backend().iter_mappings())
    assert found == {
        keys.url_key("/a/"): first,
        keys.url_key("/b/"): second,
        keys.url_key("/garbage/"): "\ufffd-id",
    }


def test_every_script_is_loaded(redis_db):
    redis_db.script_flush()
    names = backends.backend().load_scripts()
    assert names == ["lookup", "settle", "forget", "admit"]
    sources = scripts.all_sources(conf.FAILURE_TTL).values()
    assert redis_db.script_exists(*(scripts.sha(s).decode() for s in sources)) == [True] * 4


def _elsewhere(changed: str) -> str:
    """A URL of the default queue's Redis with one part of it changed."""
    given = backends.backend().connection.connection_pool.connection_kwargs
    host, port, db = given["host"], given["port"], given["db"]
    return {
        "host": f"redis://localhost:{port}/{db}"
        if host != "localhost"
        else f"redis://127.0.0.1:{port}/{db}",
        "port": f"redis://{host}:{int(port) + 1}/{db}",
        "db": f"redis://{host}:{port}/{int(db) + 1}",
        "username": f"redis://someone:secret@{host}:{port}/{db}",
        "socket": f"unix:///tmp/django-rq-poll-no-such.sock?db={db}",
    }[changed]


@pytest.mark.parametrize("changed", ["host", "port", "db", "username", "socket"])
def test_a_queue_on_another_redis_is_refused_by_name(monkeypatch, changed):
    """Mappings live on RQ_POLL['QUEUE']'s Redis: a job of a queue elsewhere could never
    be found from there. Nothing connects to the other server (none is running)."""
    queue = Queue("elsewhere", connection=redis.Redis.from_url(_elsewhere(changed)))
    monkeypatch.setitem(backends._backends, "elsewhere", backends.Backend(queue))
    with pytest.raises(poll.ImproperlyConfigured) as info:
        backends.backend().for_queue("elsewhere")
    assert str(info.value) == (
        "Queue 'elsewhere' uses another Redis than RQ_POLL['QUEUE'] ('default'); polling "
        "needs both on the same Redis database."
    )
    with pytest.raises(poll.ImproperlyConfigured, match="'elsewhere' uses another Redis"):
        poll.begin_process(tasks.add, (1, 2), queue="elsewhere")


def test_a_queue_on_the_same_redis_is_its_own_backend():
    home = backends.backend()
    assert home.for_queue(None) is home
    assert home.for_queue("default") is home
    assert home.for_queue("other") is backends.backend("other")
    assert backends.backend("other") is not home


def test_an_unknown_queue_is_refused_with_the_known_ones():
    with pytest.raises(poll.ImproperlyConfigured) as info:
        backends.backend("nope")
    assert str(info.value) == (
        "Queue 'nope' is not in RQ_QUEUES (known: default, json, other, sync)."
    )
    assert backends.backend().other("nope") is None  # a job of such a queue: no backend


def test_the_servers_result_limit_is_read_once_per_client(redis_db, monkeypatch):
    """What proto-max-bulk-len lets rq store (base64, and the entry's fields), asked once
    per client: a worker stores many results."""
    monkeypatch.setattr(backends, "_SERVER_LIMITS", type(backends._SERVER_LIMITS)())
    bulk = int(redis_db.config_get("proto-max-bulk-len")["proto-max-bulk-len"])
    client = redis.Redis(connection_pool=redis_db.connection_pool)
    assert backends.server_result_limit(client) == bulk * 3 // 4 - 4096
    asked: list[str] = []
    real = client.config_get
    monkeypatch.setattr(client, "config_get", lambda *a: asked.append(a[0]) or real(*a))
    assert backends.server_result_limit(client) == bulk * 3 // 4 - 4096
    assert asked == []
    other = redis.Redis(connection_pool=redis_db.connection_pool)
    monkeypatch.setattr(other, "config_get", lambda *a: asked.append(a[0]) or real(*a))
    assert backends.server_result_limit(other) == bulk * 3 // 4 - 4096
    assert asked == ["proto-max-bulk-len"]


def test_an_acl_users_client_does_not_ask_the_server_for_its_limit(redis_db, monkeypatch):
    """The documented ACL rules grant no CONFIG: a refusal would fill the ACL log once
    per worker, so an ACL user's client is not asked (MAX_RESULT_BYTES alone applies)."""
    monkeypatch.setattr(backends, "_SERVER_LIMITS", type(backends._SERVER_LIMITS)())
    given = redis_db.connection_pool.connection_kwargs
    user = redis.Redis(host=given["host"], port=given["port"], db=given["db"], username="rq")
    asked: list[object] = []
    monkeypatch.setattr(user, "config_get", lambda *a: asked.append(a))
    assert backends.server_result_limit(user) is None
    assert asked == []
    default = redis.Redis(
        host=given["host"], port=given["port"], db=given["db"], username="default"
    )
    assert isinstance(backends.server_result_limit(default), int)


def test_a_server_that_refuses_config_has_no_limit_of_its_own(monkeypatch):
    monkeypatch.setattr(backends, "_SERVER_LIMITS", type(backends._SERVER_LIMITS)())

    class Refusing:
        def config_get(self, name):
            raise redis.ResponseError("NOPERM this user has no permissions to run 'config'")

    refusing = Refusing()
    assert backends.server_result_limit(refusing) is None
    assert backends._SERVER_LIMITS[refusing] is None  # remembered: not asked again
    assert backends.server_result_limit(object()) is None  # not Redis, not even weakly held


def test_a_home_on_a_socket_refuses_a_queue_on_another_socket(monkeypatch):
    """Both on Unix sockets (no host, no port): the socket's path tells them apart."""

    def on_socket(name: str, path: str) -> backends.Backend:
        found = backends.Backend(Queue(name, connection=redis.Redis(unix_socket_path=path)))
        monkeypatch.setitem(backends._backends, name, found)
        return found

    home = on_socket("home-sock", "/tmp/django-rq-poll-home.sock")
    on_socket("same-sock", "/tmp/django-rq-poll-home.sock")
    on_socket("other-sock", "/tmp/django-rq-poll-other.sock")
    assert home.for_queue("same-sock") is backends._backends["same-sock"]
    with pytest.raises(poll.ImproperlyConfigured, match="'other-sock' uses another Redis"):
        home.for_queue("other-sock")


@pytest.mark.parametrize(
    ("setting", "forgotten"),
    [("RQ_QUEUES", True), ("RQ", True), ("RQ_POLL", True), ("LANGUAGE_CODE", False)],
)
def test_a_changed_queue_setting_builds_new_backends(settings, setting, forgotten):
    """Where the queues are, or the package's settings, changed (a test, a site's
    override): the next call builds backends from what the settings say now, and reads
    results back afresh. Any other setting keeps them."""
    from django_rq_poll.core import snapshot

    home, other = backends.backend(), backends.backend("other")
    snapshot.remember_read_back(b"job\0finished\x000\0e\x001\0v\0\0ended\x000\0q")
    setattr(settings, setting, getattr(settings, setting, {}))
    assert (backends.backend() is not home) is forgotten
    assert (backends.backend("other") is not other) is forgotten
    assert (
        snapshot.was_read_back(b"job\0finished\x000\0e\x001\0v\0\0ended\x000\0q") is not forgotten
    )
