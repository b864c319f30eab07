"""The public pages of published summaries, under /public/ (no sign-in: reviews.public_views)."""

from django.urls import path

from reviews import public_views as views

app_name = "public"

urlpatterns = [
    path("summaries/", views.index, name="index"),
    path("summaries.json", views.summaries_json, name="json"),
    path("summaries/<int:pk>/", views.summary, name="summary"),
]
