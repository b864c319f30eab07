"""Toolkit pages (issue 4 item 1), under /toolkits/ in the "reviews" namespace."""

from django.urls import path

from reviews import toolkit_views as views

urlpatterns = [
    path("", views.toolkit_list, name="toolkit_list"),
    path("<int:pk>/", views.toolkit_detail, name="toolkit_detail"),
    path("<int:pk>/edit/", views.toolkit_edit, name="toolkit_edit"),
    path("<int:pk>/new-version/", views.toolkit_new_version, name="toolkit_new_version"),
    path("<int:pk>/publish/", views.toolkit_publish, name="toolkit_publish"),
    path("<int:pk>/discard/", views.toolkit_discard, name="toolkit_discard"),
    path("<int:pk>/domains/add/", views.domain_add, name="toolkit_domain_add"),
    path("domains/<int:pk>/edit/", views.domain_edit, name="toolkit_domain_edit"),
    path("domains/<int:pk>/remove/", views.domain_delete, name="toolkit_domain_delete"),
    path("domains/<int:pk>/move/", views.domain_move, name="toolkit_domain_move"),
    path("domains/<int:pk>/standards/add/", views.standard_add, name="toolkit_standard_add"),
    path("standards/<int:pk>/edit/", views.standard_edit, name="toolkit_standard_edit"),
    path("standards/<int:pk>/remove/", views.standard_delete, name="toolkit_standard_delete"),
    path("standards/<int:pk>/move/", views.standard_move, name="toolkit_standard_move"),
    path("standards/<int:pk>/questions/add/", views.question_add, name="toolkit_question_add"),
    path("questions/<int:pk>/edit/", views.question_edit, name="toolkit_question_edit"),
    path("questions/<int:pk>/remove/", views.question_delete, name="toolkit_question_delete"),
    path("questions/<int:pk>/move/", views.question_move, name="toolkit_question_move"),
]
