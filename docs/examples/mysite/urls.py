from django.urls import include, path

from myapp import views

urlpatterns = [
    # The status endpoint the running page polls.
    path("rq-poll/", include("django_rq_poll.urls")),
    path("add/<int:x>/<int:y>/", views.AddView.as_view(), name="add"),
]
