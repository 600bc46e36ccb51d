"""Dashboard routes of coupons (namespace "coupons": coupons:list, coupons:detail, ...), mounted once by
privtraffic/urls.py."""

from django.urls import path

from . import views

app_name = "coupons"

urlpatterns = [
    path("b/<slug:slug>/coupons/", views.CouponListView.as_view(), name="list"),
    path("b/<slug:slug>/coupons/new/", views.CouponCreateView.as_view(), name="create"),
    path("b/<slug:slug>/coupons/<int:coupon_id>/", views.CouponDetailView.as_view(), name="detail"),
    path("b/<slug:slug>/coupons/<int:coupon_id>/edit/", views.CouponEditView.as_view(), name="edit"),
    path("b/<slug:slug>/coupons/<int:coupon_id>/deactivate/", views.CouponDeactivateView.as_view(),
         name="deactivate"),
]
