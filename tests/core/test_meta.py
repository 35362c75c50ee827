"""Who owns a job, and the page a job answers (what a job's meta says)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from django_rq_poll.core import meta


def test_only_an_authenticated_user_owns_jobs() -> None:
    assert meta.owner_of(SimpleNamespace(pk=7, is_authenticated=True)) == "7"
    assert meta.owner_of(None) is None
    assert meta.owner_of(AnonymousUser()) is None
    # Something that does not say it is authenticated is not.
    assert meta.owner_of(SimpleNamespace(pk=7)) is None


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("/report/?q=1", "/report/?q=1"),
        ("/report/?q=1#results", "/report/?q=1"),
        ("/a#b#c", "/a"),
        ("/", "/"),
        ("//evil.example/x", None),
        ("/\\evil.example/x", None),
        ("https://evil.example/x", None),
        ("report/", None),
        ("", None),
        (42, None),
    ],
)
def test_a_jobs_page_is_its_local_path_without_the_fragment(url, page) -> None:
    assert meta.page_of({meta.META_URL: url}) == page


def test_a_job_without_a_url_has_no_page() -> None:
    assert meta.page_of(None) is None
    assert meta.page_of({}) is None
