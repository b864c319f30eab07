"""Staff pages of public summaries (reviews.summary_views), in a namespace of their own."""

from django.urls import path

from reviews import summary_views as views

app_name = "summaries"

urlpatterns = [
    path("public-summaries/", views.summary_list, name="list"),
    path("public-summaries/<int:pk>/", views.summary_detail, name="detail"),
    path("public-summaries/<int:pk>/<slug:step>/", views.step, name="step"),
    path("reviews/<int:review_pk>/public-summary/", views.publish, name="publish"),
]
