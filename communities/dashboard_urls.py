"""Dashboard pages for groups, members and invite links (under /b/<slug>/)."""

dashboard_urlpatterns: list = []
