"""Revocation pages (escalation.revocation_views), in a namespace of their own."""

from django.urls import path

from escalation import revocation_views as views

app_name = "revocation"

urlpatterns = [
    path("revocations/", views.revocation_list, name="list"),
    path("services/<int:service_pk>/revocations/new/", views.propose, name="propose"),
    path("revocations/<int:pk>/", views.detail, name="detail"),
    path("revocations/<int:pk>/agenda/", views.agenda, name="agenda"),
    path("revocations/<int:pk>/appeal/decide/", views.appeal_decide, name="appeal_decide"),
    path("revocations/<int:pk>/<slug:step>/", views.step, name="step"),
]
