"""tests/urls.py with every sync class-based polling view replaced by its async twin.

tests/web/conftest.py asks these with the header ``X-Test-Side: async``
(``tests.views.TestSideMiddleware`` switches the request's URLconf): the same paths, so
every page test asserts the same answers on both sides.
"""

from __future__ import annotations

from django.urls import path

from django_rq_poll.views import PollingMixin
from tests import views
from tests.urls import urlpatterns as sync_patterns


def _twin(pattern):
    view = getattr(pattern.callback, "view_class", None)
    if view is None or not issubclass(view, PollingMixin) or view.view_is_async:
        return pattern
    return path(str(pattern.pattern), views.async_twin(view).as_view())


urlpatterns = [_twin(pattern) for pattern in sync_patterns]
