"""TLS with a CA file and client certificates, as the deployment docs configure it.

A real redis-server with ``--tls-port`` that requires client certificates signed by a CA
made here with ``openssl``. Both forms of ``RQ_QUEUES`` entry work: a ``rediss://`` URL
carrying ``ssl_ca_certs``, ``ssl_certfile`` and ``ssl_keyfile`` in its query string, and
``HOST``/``PORT`` with ``REDIS_CLIENT_KWARGS``. The web side and a real ``rqworker`` both
connect through django-rq's own connection builder.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from asgiref.sync import async_to_sync
from django_rq.connection_utils import get_redis_connection
from rq import Queue

import django_rq_poll as poll
from django_rq_poll.drivers import backends
from tests import needs, tasks
from tests.deploy.conftest import free_port
from tests.faults.helpers import wait_until
from tests.push.test_stream import streamed_end
from tests.redis_server import server_args
from tests.workers import BURST


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("tls")
    if shutil.which("openssl") is None:
        needs.missing("needs the openssl command to make a CA and certificates")
    sign = ("-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "1",
        "-subj",
        "/CN=rq-poll test CA",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=tmp_path,
    )
    # Python 3.13 verifies strictly (VERIFY_X509_STRICT): a leaf needs its key ids and
    # usage, as real CAs issue them.
    leaf = (
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
    (tmp_path / "server.ext").write_text(
        leaf + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    )
    (tmp_path / "client.ext").write_text(leaf + "extendedKeyUsage=clientAuth\n")
    for name in ("server", "client"):
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={name}",
            cwd=tmp_path,
        )
        extra = ("-extfile", f"{name}.ext")
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", *sign, "-out", f"{name}.crt", *extra, cwd=tmp_path
        )
    return tmp_path


def _tls_server(servers, certs: Path) -> int:
    port = free_port()
    tls = {
        "ssl_ca_certs": str(certs / "ca.crt"),
        "ssl_certfile": str(certs / "client.crt"),
        "ssl_keyfile": str(certs / "client.key"),
    }

    def ready() -> bool:
        return bool(redis.Redis(port=port, ssl=True, socket_timeout=1, **tls).ping())

    try:
        servers.start(
            *server_args(certs, 0),
            "--tls-port",
            str(port),
            "--tls-cert-file",
            str(certs / "server.crt"),
            "--tls-key-file",
            str(certs / "server.key"),
            "--tls-ca-cert-file",
            str(certs / "ca.crt"),
            "--tls-auth-clients",
            "yes",
            ready=ready,
        )
    except RuntimeError as exc:
        said = str(exc).lower()
        if "tls" in said and any(w in said for w in ("bad directive", "unrecognized", "support")):
            needs.missing(f"this redis-server is built without TLS: {exc}")
        raise
    return port


def _url(port: int, certs: Path, **without: bool) -> str:
    query = {
        "ssl_ca_certs": certs / "ca.crt",
        "ssl_certfile": certs / "client.crt",
        "ssl_keyfile": certs / "client.key",
    }
    query = {k: str(v) for k, v in query.items() if not without.get(k)}
    return f"rediss://127.0.0.1:{port}/0?{urlencode(query)}"


def _run_flow(conn: redis.Redis, monkeypatch, killable_worker, worker_url: str) -> None:
    backend = backends.Backend(Queue("default", connection=conn))
    monkeypatch.setitem(backends._backends, "default", backend)
    url = f"/tls/{uuid.uuid4().hex}"
    first = poll.check_status_or_begin(tasks.add, (20, 22), polling_url=url)
    assert first.started
    killable_worker(*BURST, "default", env={"REDIS_URL": worker_url}).wait(timeout=60)
    wait_until(lambda: poll.process_is_complete(url), timeout=30)
    assert poll.get_process_result(url) == 42
    assert poll.get_taskid_from_url(url) == first.task_id
    # the async side and a stream reach the server over the same TLS settings
    assert async_to_sync(poll.aget_process_result)(url) == 42
    again = async_to_sync(poll.acheck_status_or_begin)(tasks.add, (20, 22), polling_url=url)
    assert not again.started and again.task_id == first.task_id
    assert streamed_end(first.task_id) == "complete"


def test_rediss_url_with_ca_and_client_certificate(servers, certs, monkeypatch, killable_worker):
    port = _tls_server(servers, certs)
    url = _url(port, certs)
    conn = get_redis_connection({"URL": url})  # django-rq's own builder, as RQ_QUEUES uses it
    kwargs = conn.connection_pool.connection_kwargs
    assert kwargs["ssl_ca_certs"] == str(certs / "ca.crt")
    assert kwargs["ssl_certfile"] == str(certs / "client.crt")
    _run_flow(conn, monkeypatch, killable_worker, url)
    backends.clear_cache()


def test_the_url_parameters_are_what_makes_it_work(servers, certs):
    """Controls: without the client certificate the server refuses the connection, and
    without the CA file the client refuses the server's certificate."""
    port = _tls_server(servers, certs)
    for missing in (("ssl_certfile", "ssl_keyfile"), ("ssl_ca_certs",)):
        conn = get_redis_connection({"URL": _url(port, certs, **dict.fromkeys(missing, True))})
        with pytest.raises(redis.ConnectionError):
            conn.ping()


@pytest.mark.parametrize("missing", [("ssl_certfile", "ssl_keyfile"), ("ssl_ca_certs",)])
def test_a_tls_failure_is_named_on_both_sides(servers, certs, monkeypatch, missing):
    """Not "check that redis-server is running": the error (and the page's log line at
    ERROR, since waiting will not fix it) says the TLS handshake failed and what to check."""
    port = _tls_server(servers, certs)
    conn = get_redis_connection({"URL": _url(port, certs, **dict.fromkeys(missing, True))})
    monkeypatch.setitem(backends._backends, "default", backends.Backend(Queue(connection=conn)))
    monkeypatch.setattr(backends, "_default", None)
    for ask in (poll.get_process_status, async_to_sync(poll.aget_process_status)):
        with pytest.raises(poll.RedisUnavailable, match="TLS") as caught:
            ask("/tls/")
        text = str(caught.value)
        assert ("ssl_ca_certs" if "ssl_ca_certs" in missing else "ssl_certfile") in text
        assert "redis-server is running" not in text


def test_host_port_form_with_client_kwargs(servers, certs, monkeypatch, killable_worker):
    port = _tls_server(servers, certs)
    conn = get_redis_connection(
        {
            "HOST": "127.0.0.1",
            "PORT": port,
            "DB": 0,
            "SSL": True,
            "REDIS_CLIENT_KWARGS": {
                "ssl_ca_certs": str(certs / "ca.crt"),
                "ssl_certfile": str(certs / "client.crt"),
                "ssl_keyfile": str(certs / "client.key"),
            },
        }
    )
    _run_flow(conn, monkeypatch, killable_worker, _url(port, certs))
    backends.clear_cache()
