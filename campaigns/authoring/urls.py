"""Dashboard routes of campaign authoring: the list, the builder (and its JSON helpers), the calendar, the
campaign page. Included from campaigns/urls.py (namespace "campaigns")."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/campaigns/", views.CampaignListView.as_view(), name="list"),
    path("b/<slug:slug>/campaigns/new/", views.CampaignCreateView.as_view(), name="create"),
    path("b/<slug:slug>/campaigns/calendar/", views.CampaignCalendarView.as_view(), name="calendar"),
    path("b/<slug:slug>/campaigns/builder/breakdown/", views.CampaignBreakdownView.as_view(), name="breakdown"),
    path("b/<slug:slug>/campaigns/builder/preview/", views.CampaignPreviewView.as_view(), name="preview"),
    path("b/<slug:slug>/campaigns/builder/send-test/", views.CampaignSendTestView.as_view(), name="send_test"),
    path("b/<slug:slug>/campaigns/builder/customers/", views.CustomerSearchView.as_view(), name="preview_customers"),
    path("b/<slug:slug>/campaigns/<int:campaign_id>/", views.CampaignDetailView.as_view(), name="detail"),
    path("b/<slug:slug>/campaigns/<int:campaign_id>/edit/", views.CampaignEditView.as_view(), name="edit"),
    path("b/<slug:slug>/campaigns/<int:campaign_id>/progress/", views.CampaignProgressView.as_view(),
         name="progress"),
]
