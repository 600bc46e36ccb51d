"""The customer's way in: /join/<token>/ from a link or a QR code, and the optional later step that links
an email address or a mobile number to the chat (/join/secure/<customer id>/), and "continue with my phone" on
another device (/join/<token>/phone/)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("join/secure/<int:customer_id>/", views.SecureView.as_view(), name="secure"),
    path("join/secure/<int:customer_id>/code/", views.SecureCodeView.as_view(), name="secure_code"),
    path("join/secure/<int:customer_id>/phone/", views.SecurePhoneView.as_view(), name="secure_phone"),
    path("join/secure/<int:customer_id>/phone/code/", views.SecurePhoneCodeView.as_view(), name="secure_phone_code"),
    path("join/secure/<int:customer_id>/forget/", views.ForgetDeviceView.as_view(), name="forget_device"),
    path("join/<str:token>/", views.JoinView.as_view(), name="join"),
    path("join/<str:token>/phone/", views.PhoneSignInView.as_view(), name="join_phone"),
    path("join/<str:token>/phone/code/", views.PhoneSignInCodeView.as_view(), name="join_phone_code"),
    path("join/<str:token>/qr.svg", views.JoinQrSvgView.as_view(), name="join_qr_svg"),
    path("join/<str:token>/qr.png", views.JoinQrPngView.as_view(), name="join_qr_png"),
]
