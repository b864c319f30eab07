"""Concern level pages (escalation.concern_views), in a namespace of their own."""

from django.urls import path

from escalation import concern_views as views

app_name = "concern"

urlpatterns = [
    path("concern-levels/", views.queue, name="queue"),
    path(
        "concern-levels/suggestions/<int:pk>/<slug:step>/",
        views.suggestion_step,
        name="suggestion_step",
    ),
    path("services/<int:pk>/concern-level/agenda/", views.agenda, name="agenda"),
    path("services/<int:pk>/concern-level/<slug:step>/", views.step, name="step"),
]
