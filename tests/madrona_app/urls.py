from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("scenarios/<int:pk>/", views.show),
    path("scenarios/<int:pk>/progress/", views.progress),
]
