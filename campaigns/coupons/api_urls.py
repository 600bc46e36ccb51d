"""API routes of coupons: included from campaigns/api_urls.py."""

from django.urls import path

from . import apis

urlpatterns = [
    path("coupons/", apis.CouponListApi.as_view(), name="api-coupons"),
    path("coupons/redeem/", apis.CouponRedeemApi.as_view(), name="api-coupons-redeem"),
    path("coupons/<int:coupon_id>/", apis.CouponDetailApi.as_view(), name="api-coupon-detail"),
]
