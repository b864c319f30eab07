from django.urls import include, path

from reviews import information_views, shared_views, views, visit_views

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
        "reviews/<int:pk>/visit/questions/<int:question_pk>/evidence/",
        visit_views.question_evidence,
        name="visit_evidence",
    ),
    path(
        "reviews/<int:pk>/visit/standards/<int:standard_pk>/",
        visit_views.save_note,
        name="visit_note",
    ),
    path("reviews/<int:pk>/<slug:step>/", views.review_step, name="review_step"),
    # Information requests (reviews.information_views).
    path("information-requests/", information_views.request_list, name="request_list"),
    path(
        "services/<int:service_pk>/information-requests/new/",
        information_views.request_create,
        name="request_create",
    ),
    path("information-requests/<int:pk>/", information_views.request_detail, name="request_detail"),
    path(
        "information-requests/<int:pk>/<slug:step>/",
        information_views.request_step,
        name="request_step",
    ),
    path(
        "information-requests/<int:pk>/items/<int:item_pk>/answer/",
        information_views.item_answer,
        name="item_answer",
    ),
    path(
        "information-requests/<int:pk>/items/<int:item_pk>/review/",
        information_views.item_review,
        name="item_review",
    ),
    # Shared outcomes between councils (reviews.shared_views).
    path("shared-outcomes/", shared_views.outcome_list, name="shared_outcomes"),
    path("shared-outcomes/export/", shared_views.outcome_export, name="shared_outcomes_export"),
    path("shared-outcomes/import/", shared_views.outcome_import, name="shared_outcomes_import"),
]
