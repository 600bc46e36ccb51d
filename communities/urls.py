from django.urls import path

from . import views
from .dashboard_urls import dashboard_urlpatterns

app_name = "communities"

urlpatterns = [
    path("join/<str:token>/", views.JoinView.as_view(), name="join"),
    path("join/<str:token>/complete/", views.join_complete, name="join_complete"),
    path("join/<str:token>/qr.svg", views.join_qr_svg, name="join_qr_svg"),
    path("join/<str:token>/qr.png", views.join_qr_png, name="join_qr_png"),
    *dashboard_urlpatterns,
]
