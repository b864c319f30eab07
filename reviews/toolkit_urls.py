"""Toolkit pages (issue 4 item 1)."""

urlpatterns: list = []
