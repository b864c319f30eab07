"""The letters' pages (qaf.letter_views), under /letters/ in the "letters" namespace."""

from django.urls import path

from qaf import letter_views as views

app_name = "letters"

urlpatterns = [
    path("", views.letter_list, name="list"),
    path("<slug:key>/", views.letter_detail, name="detail"),
    path("<slug:key>/versions/<int:number>/", views.letter_version, name="version"),
    path("<slug:key>/edit/", views.letter_edit, name="edit"),
    path("<slug:key>/edit/preview.pdf", views.letter_preview_pdf, name="preview_pdf"),
]
