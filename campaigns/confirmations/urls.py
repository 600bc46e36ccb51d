"""Dashboard routes of rep-confirmed sends: include with `path("", include("campaigns.confirmations.urls"))`
from campaigns/urls.py (namespace "campaigns")."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/tasks/", views.RepTaskListView.as_view(), name="tasks"),
    path("b/<slug:slug>/tasks/<int:task_id>/", views.RepTaskView.as_view(), name="task"),
]
