"""/board/: the Care Provider Commissioning and Quality Board (escalation.board_views)."""

from django.urls import path

from escalation import board_views as views

app_name = "board"

urlpatterns = [
    path("", views.meetings, name="meetings"),
    path("new/", views.arrange, name="arrange"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/deactivate/", views.deactivate_member, name="member_deactivate"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/notes/", views.notes, name="notes"),
    path("<int:pk>/pack/", views.pack, name="pack"),
    path("<int:pk>/items/<int:item_pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/items/<int:item_pk>/remove/", views.remove_item, name="remove_item"),
    path("<int:pk>/step/<slug:step>/", views.meeting_step, name="meeting_step"),
]
