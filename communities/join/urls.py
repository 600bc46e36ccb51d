"""The customer's way in: /join/<token>/ from a link or a QR code, and the optional later step that links
an email address to the chat (/join/secure/<customer id>/)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("join/secure/<int:customer_id>/", views.SecureView.as_view(), name="secure"),
    path("join/secure/<int:customer_id>/code/", views.SecureCodeView.as_view(), name="secure_code"),
    path("join/secure/<int:customer_id>/forget/", views.ForgetDeviceView.as_view(), name="forget_device"),
    path("join/<str:token>/", views.JoinView.as_view(), name="join"),
    path("join/<str:token>/qr.svg", views.JoinQrSvgView.as_view(), name="join_qr_svg"),
    path("join/<str:token>/qr.png", views.JoinQrPngView.as_view(), name="join_qr_png"),
]
