from __future__ import annotations

from django.urls import include, path

from tests import views

urlpatterns = [
    path("rq-poll/", include("django_rq_poll.urls")),
    path("sum/", views.SumView.as_view()),
    path("task-sum/", views.TaskSumView.as_view()),
    path("task-whoami/", views.task_whoami),
    path("shared-sum/", views.SharedSumView.as_view()),
    path("whose/", views.WhoseView.as_view()),
    path("fail/", views.FailView.as_view()),
    path("polite-fail/", views.PoliteFailView.as_view()),
    path("progress/", views.ProgressView.as_view()),
    path("users/<int:pk>/", views.UserDetailView.as_view()),
    path("plain/", views.PlainView.as_view()),
    path("redirect/", views.RedirectView.as_view()),
    path("json/", views.JsonView.as_view()),
    path("file/", views.FileView.as_view()),
    path("quiet-fail/", views.QuietFailView.as_view()),
    path("quiet-fail-function/", views.quiet_fail),
    path("json-queue-sum/", views.JsonQueueSumView.as_view()),
    path("async/", views.AsyncView.as_view()),
    path("async-json/", views.AsyncJsonView.as_view()),
    path("plus-one/<int:x>/", views.plus_one),
    path("async-fifteen/", views.async_fifteen),
    path("fixed-key/", views.fixed_key),
    path("fixed-key-mixin/", views.FixedKeyView.as_view()),
    path("status-tag/", views.status_tag_page),
    path("status-tag-template/", views.StatusTagView.as_view()),
    path("direct-redis/", views.direct_redis_page),
    # tests/web/test_pages.py
    path("probe/fail/", views.ProbeFailView.as_view()),
    path("probe/json-sum/", views.ProbeJsonQueueSumView.as_view()),
    path("probe/sum/", views.ProbeSumView.as_view()),
    path("probe/file/", views.ProbeFileView.as_view()),
    path("probe/fixed/", views.ProbeFixedKeyView.as_view()),
]
