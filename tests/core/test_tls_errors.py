"""A TLS connection that fails, sorted without a server: a failed handshake is a
refusal that says which settings to check; a reset from a server that asks for client
certificates says so; any other dropped connection is only unavailable.
(tests/deploy runs a real TLS server; these are the sorting's own branches.)"""

from __future__ import annotations

import ssl

import pytest
import redis

from django_rq_poll.core import errors
from django_rq_poll.exceptions import RedisRefused, RedisUnavailable

WHERE = "127.0.0.1:6379 (db 0, queue 'default')"
TLS_WHERE = errors.describe(redis.Redis(host="127.0.0.1", port=6380, ssl=True), "default")
HANDSHAKE_ADVICE = (
    "Check the TLS settings of RQ_QUEUES: ssl_ca_certs (the CA that signed the server's "
    "certificate), ssl_certfile and ssl_keyfile (the client certificate a server with "
    "tls-auth-clients asks for)."
)


def _raised_from(cause: BaseException, *, explicitly: bool = True) -> redis.ConnectionError:
    """redis-py's ConnectionError raised while handling ``cause`` (``from`` it or not)."""
    try:
        try:
            raise cause
        except BaseException as exc:
            if explicitly:
                raise redis.ConnectionError("Error connecting to 127.0.0.1:6380.") from exc
            raise redis.ConnectionError("Error connecting to 127.0.0.1:6380.")  # noqa: B904
    except redis.ConnectionError as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        redis.ConnectionError("Error 1 connecting. [SSL: WRONG_VERSION_NUMBER] wrong version"),
        redis.ConnectionError("Error connecting: CERTIFICATE_VERIFY_FAILED"),
        _raised_from(ssl.SSLError(1, "handshake failure")),
        _raised_from(ssl.SSLError(1, "handshake failure"), explicitly=False),
    ],
    ids=["ssl in the message", "certificate", "raised from", "raised while handling"],
)
def test_a_failed_handshake_is_refused_with_the_tls_settings_to_check(error) -> None:
    found = errors.failure(error, TLS_WHERE)
    assert type(found) is RedisRefused and found.where == TLS_WHERE
    assert found.reason == f"the TLS handshake failed ({str(error).strip()})"
    assert found.advice == HANDSHAKE_ADVICE


def test_an_ssl_error_deeper_than_five_causes_is_not_looked_for() -> None:
    """The chain is followed a few steps only (a cycle of contexts must end)."""
    error: BaseException = ssl.SSLError(1, "handshake failure")
    for _ in range(5):
        error = _raised_from(error)
    assert type(errors.failure(error, WHERE)) is RedisUnavailable
    shallower: BaseException = ssl.SSLError(1, "handshake failure")
    for _ in range(4):
        shallower = _raised_from(shallower)
    assert type(errors.failure(shallower, WHERE)) is RedisRefused


def test_a_reset_by_a_tls_server_names_client_certificates() -> None:
    error = redis.ConnectionError("Connection reset by peer")
    found = errors.failure(error, TLS_WHERE)
    assert type(found) is RedisUnavailable and found.where == TLS_WHERE
    assert found.reason == (
        "the server closed the TLS connection (Connection reset by peer); if it asks for "
        "client certificates (tls-auth-clients), check ssl_certfile and ssl_keyfile in "
        "RQ_QUEUES"
    )


def test_a_reset_without_tls_is_only_unavailable() -> None:
    found = errors.failure(redis.ConnectionError("Connection reset by peer"), WHERE)
    assert type(found) is RedisUnavailable and found.where == WHERE
    assert found.reason == ""
    assert errors.TLS_MARK in TLS_WHERE and errors.TLS_MARK not in WHERE
