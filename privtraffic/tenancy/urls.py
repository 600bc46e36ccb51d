from django.urls import path

from . import views

app_name = "tenancy"

# The brand home /b/<slug>/ (tenancy:overview) is privtraffic.overview's: it reads every app's figures, so it
# lives above them; privtraffic/urls.py adds it to this namespace.
urlpatterns = [
    path("", views.brand_home, name="brand_home"),
    path("<slug:slug>/stores/", views.StoreListView.as_view(), name="stores"),
    path("<slug:slug>/stores/<int:store_id>/", views.StoreEditView.as_view(), name="store_edit"),
    path("<slug:slug>/team/", views.TeamView.as_view(), name="team"),
    path("<slug:slug>/team/<int:member_id>/", views.MemberEditView.as_view(), name="member_edit"),
    path("<slug:slug>/team/<int:member_id>/deactivate/", views.MemberDeactivateView.as_view(),
         name="member_deactivate"),
    path("<slug:slug>/team/<int:member_id>/reactivate/", views.MemberReactivateView.as_view(),
         name="member_reactivate"),
    path("<slug:slug>/settings/", views.SettingsView.as_view(), name="settings"),
    path("<slug:slug>/settings/keys/", views.ApiKeyCreateView.as_view(), name="api_key_create"),
    path("<slug:slug>/settings/keys/revoke/", views.ApiKeyRevokeView.as_view(), name="api_key_revoke"),
]
