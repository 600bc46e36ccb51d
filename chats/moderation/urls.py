"""Moderation pages under /b/<slug>/ (included by chats/urls.py, so names are chats:reports, ...)."""

from django.urls import path

from . import views

moderation_urlpatterns: list = [
    path("b/<slug:slug>/reports/", views.ReportListView.as_view(), name="reports"),
    path("b/<slug:slug>/reports/<int:report_id>/dismiss/", views.ReportDismissView.as_view(), name="report_dismiss"),
    path("b/<slug:slug>/reports/<int:report_id>/delete-message/", views.ReportDeleteMessageView.as_view(),
         name="report_delete_message"),
    path("b/<slug:slug>/groups/<int:group_id>/rules/", views.GroupRuleView.as_view(), name="group_rules"),
]
