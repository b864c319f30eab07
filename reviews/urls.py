from django.urls import include, path

from reviews import views, visit_views

app_name = "reviews"

urlpatterns = [
    path("toolkits/", include("reviews.toolkit_urls")),
    path("reviews/", views.review_list, name="review_list"),
    path("services/<int:service_pk>/reviews/new/", views.review_plan, name="review_plan"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    # The visit form (reviews.visit_views), before the catch-all workflow step below.
    path("reviews/<int:pk>/visit/", visit_views.visit, name="review_visit"),
    path(
        "reviews/<int:pk>/visit/questions/<int:question_pk>/",
        visit_views.save_answer,
        name="visit_answer",
    ),
    path(
        "reviews/<int:pk>/visit/standards/<int:standard_pk>/",
        visit_views.save_note,
        name="visit_note",
    ),
    path("reviews/<int:pk>/<slug:step>/", views.review_step, name="review_step"),
]
