"""Who owns a job: the owner a user's jobs record."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser

from django_rq_poll.core import meta


def test_only_an_authenticated_user_owns_jobs() -> None:
    assert meta.owner_of(SimpleNamespace(pk=7, is_authenticated=True)) == "7"
    assert meta.owner_of(None) is None
    assert meta.owner_of(AnonymousUser()) is None
    # Something that does not say it is authenticated is not.
    assert meta.owner_of(SimpleNamespace(pk=7)) is None
