from django.urls import path

from . import views

app_name = "tenancy"

urlpatterns = [
    path("", views.brand_home, name="brand_home"),
    path("<slug:slug>/", views.OverviewView.as_view(), name="overview"),
    path("<slug:slug>/stores/", views.StoreListView.as_view(), name="stores"),
    path("<slug:slug>/stores/<int:store_id>/", views.StoreEditView.as_view(), name="store_edit"),
    path("<slug:slug>/team/", views.TeamView.as_view(), name="team"),
    path("<slug:slug>/team/<int:member_id>/", views.MemberEditView.as_view(), name="member_edit"),
    path("<slug:slug>/settings/", views.SettingsView.as_view(), name="settings"),
]
