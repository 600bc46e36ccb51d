"""Routes of group-buys: the dashboard pages under /b/<slug>/group-buys/ and the referral link /g/<code>/.
Namespace "groupbuys" (groupbuys:list, groupbuys:detail, groupbuys:referral, ...)."""

from django.urls import path

from . import views

app_name = "groupbuys"

urlpatterns = [
    path("b/<slug:slug>/group-buys/", views.GroupBuyListView.as_view(), name="list"),
    path("b/<slug:slug>/group-buys/new/", views.GroupBuyCreateView.as_view(), name="create"),
    path("b/<slug:slug>/group-buys/<int:groupbuy_id>/", views.GroupBuyDetailView.as_view(), name="detail"),
    path("b/<slug:slug>/group-buys/<int:groupbuy_id>/edit/", views.GroupBuyEditView.as_view(), name="edit"),
    path("b/<slug:slug>/group-buys/<int:groupbuy_id>/post/", views.GroupBuyPostView.as_view(), name="post"),
    path("g/<slug:token>/", views.ReferralView.as_view(), name="referral"),  # token: the referral code
]
