"""The customer's way in: /join/<token>/ from a link or a QR code."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("join/<str:token>/", views.JoinView.as_view(), name="join"),
    path("join/<str:token>/complete/", views.JoinCompleteView.as_view(), name="join_complete"),
    path("join/<str:token>/qr.svg", views.JoinQrSvgView.as_view(), name="join_qr_svg"),
    path("join/<str:token>/qr.png", views.JoinQrPngView.as_view(), name="join_qr_png"),
]
