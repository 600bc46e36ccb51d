"""The overview's route. privtraffic/urls.py mounts it inside the `tenancy` namespace, so the brand home keeps
its name `tenancy:overview` (the core links to it) while the page lives above every app it reads."""

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:slug>/", views.OverviewView.as_view(), name="overview"),
]
