"""The demo's URLs, the language switch, django-rq's dashboard (staff only) and
django-rq-poll's status endpoint."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", TemplateView.as_view(template_name="demo/home.html"), name="home"),
    path("add/<int:x>/<int:y>/", views.AddView.as_view(), name="add"),
    path("report/<slug:region>/", views.ReportView.as_view(), name="report"),
    path("flaky/", views.FlakyView.as_view(), name="flaky"),
    path("mine/", views.MineView.as_view(), name="mine"),
    path("processes/", views.processes, name="processes"),
    path("login/", views.DemoLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # The language switch in every page's header posts to Django's set_language view.
    path("i18n/", include("django.conf.urls.i18n")),
    path("rq-poll/", include("django_rq_poll.urls")),
    path("django-rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
