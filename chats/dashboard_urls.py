"""Rep inbox pages under /b/<slug>/inbox/."""

inbox_urlpatterns: list = []
