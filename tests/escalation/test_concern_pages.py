"""The concern level on the service, provider and home pages, the managers' queue and the
step pages. Maya and Mo are managers, Olivia an officer, Pat works at Sunrise Care."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation import concern_services as concern
from escalation.models import ConcernLevel, ConcernSuggestion, SuggestionStatus
from tests.escalation.support import TODAY, board_decides_concern, waiting_suggestion
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _step(service, step: str) -> str:
    return reverse("concern:step", args=[service.pk, step])


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_service_page_shows_the_level_what_it_means_and_the_managers_steps(
    client_for, sunrise_house, manager_maya
):
    page = _page(client_for(manager_maya), sunrise_house.get_absolute_url())
    assert "Concern level" in page
    assert "Level 1: no or minor concerns" in page
    assert "Business as usual or light touch monitoring" in page
    assert "Annual quality assurance visit or contact" in page  # level 1's monitoring
    assert "Move to level 2" in page
    assert "Propose level 3" in page
    assert "No decision yet" in page


def test_officers_read_the_level_without_steps_and_providers_never_see_it(
    client, sunrise, sunrise_house, officer_olivia, provider_pat, manager_maya
):
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Complaints", today=TODAY)
    client.force_login(officer_olivia)
    page = _page(client, sunrise_house.get_absolute_url())
    assert "Level 2: moderate concerns" in page
    assert "Unannounced visit undertaken" in page
    assert "Move to level" not in page and "Propose level" not in page
    assert "Complaints" in page  # the history's reason

    client.force_login(provider_pat)
    for url in (sunrise_house.get_absolute_url(), sunrise.get_absolute_url(), "/"):
        page = _page(client, url)
        assert "Concern level" not in page and "concern level" not in page
        assert "moderate concerns" not in page
    for url in (reverse("concern:queue"), _step(sunrise_house, "decide")):
        assert client.get(url).status_code == 403


def test_a_manager_decides_on_the_page_and_the_history_shows_it(
    client_for, sunrise_house, manager_maya
):
    client = client_for(manager_maya)
    page = _page(client, _step(sunrise_house, "decide"))
    assert "Level 2: moderate concerns (active monitoring)" in page
    response = client.post(_step(sunrise_house, "decide"), {"level": "2", "reason": ""})
    assert response.status_code == 200
    assert "Give the reason for the decision" in response.content.decode()
    assert not ConcernLevel.objects.exists()

    response = client.post(
        _step(sunrise_house, "decide"),
        {"level": "2", "reason": "Two serious complaints", "from_level": "1"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#concern-level")
    page = _page(client, sunrise_house.get_absolute_url())
    assert "The service is now at level 2." in page
    assert "Level 1 to level 2" in page and "Two serious complaints" in page
    assert "Move to level 1" in page


def test_a_stale_page_is_told_the_level_changed(client_for, sunrise_house, manager_maya):
    client = client_for(manager_maya)
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Complaints")
    response = client.post(
        _step(sunrise_house, "decide"), {"level": "1", "reason": "Fine", "from_level": "1"}
    )
    assert response.status_code == 200
    assert "at level 2 now, not level 1" in response.content.decode()


def test_the_board_decides_a_move_to_level_3_on_the_pages(
    client, sunrise_house, manager_maya, manager_mo, board_bea
):
    client.force_login(manager_maya)
    response = client.post(
        _step(sunrise_house, "propose"), {"level": "3", "reason": "Rated Inadequate"}
    )
    assert response.status_code == 302
    page = _page(client, sunrise_house.get_absolute_url())
    assert "Level 3 is proposed" in page and "Withdraw the proposal" in page
    assert "waits for the board's decision" in page
    assert "The board approved the move" not in page
    # Not before the board's decision: the page says why, and the post changes nothing.
    page = _page(client, _step(sunrise_house, "approve"))
    assert "board has not decided to approve" in page
    response = client.post(_step(sunrise_house, "approve"), {})
    assert "board has not decided to approve" in response.content.decode()
    assert ConcernLevel.objects.get(pk=sunrise_house.pk).level == 1

    # On a planned meeting's agenda from the service page, then the board decides.
    from django.utils import timezone

    from escalation import board_services
    from tests.escalation.board_support import seat_members

    members = seat_members(bea=board_bea, maya=manager_maya)
    planned = board_services.arrange(
        actor=manager_maya, starts_at=timezone.now() + timezone.timedelta(days=3), place="R1"
    )
    agenda = reverse("concern:agenda", args=[sunrise_house.pk])
    assert agenda in _page(client, sunrise_house.get_absolute_url())
    assert client.post(agenda, {"meeting": planned.pk}).status_code == 302
    assert planned.agenda.get().subject.pk == sunrise_house.pk
    board_decides_concern(
        sunrise_house, "approve", bea=board_bea, maya=manager_maya, members=members
    )

    client.force_login(manager_mo)
    page = _page(client, _step(sunrise_house, "approve"))
    assert "Rated Inadequate" in page and "The board's decision at its meeting of" in page
    assert client.post(_step(sunrise_house, "approve"), {"comment": "Agreed"}).status_code == 302
    assert ConcernLevel.objects.get(pk=sunrise_house.pk).level == 3
    page = _page(client, sunrise_house.get_absolute_url())
    assert "Level 3: major concerns" in page
    assert "Large scale intervention process implemented" in page
    assert "approved, recorded by Mo" in page


def test_the_queue_lists_suggestions_and_proposals_and_a_manager_answers_them(
    client_for, sunrise_house, sunrise_lodge, oak_lodge_home, manager_maya, manager_mo
):
    suggestion = waiting_suggestion(sunrise_house, level=2)
    waiting_suggestion(oak_lodge_home, level=3)
    concern.propose(sunrise_lodge, actor=manager_mo, level=3, reason="Suspended since March")
    client = client_for(manager_maya)
    page = _page(client, reverse("concern:queue"))
    assert "Suspended since March" in page
    assert "Proposals waiting for the board" in page
    assert page.index("Oak Lodge") < page.index("Sunrise House")  # level 3 first
    accept = f"{_step(sunrise_house, 'decide')}?suggestion={suggestion.pk}"
    assert accept in page
    assert f"{_step(oak_lodge_home, 'propose')}?suggestion=" in page

    # Accepting: the page says so and carries the suggestion.
    form = _page(client, accept)
    assert "This accepts the nightly check's suggestion of level 2" in form
    response = client.post(
        _step(sunrise_house, "decide"),
        {"level": "2", "reason": "As suggested", "suggestion": suggestion.pk},
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED

    # Dismissing the other, from the queue and back to it.
    other = ConcernSuggestion.objects.get(service=oak_lodge_home)
    url = reverse("concern:suggestion_step", args=[other.pk, "dismiss"])
    assert "Why is the suggestion dismissed?" in _page(client, url + "?next=queue")
    response = client.post(url, {"reason": "", "next": "queue"})
    assert "Give the reason" in response.content.decode()
    response = client.post(url, {"reason": "Rating under appeal", "next": "queue"})
    assert response["Location"] == reverse("concern:queue")
    other.refresh_from_db()
    assert (other.status, other.dismiss_reason) == (
        SuggestionStatus.DISMISSED,
        "Rating under appeal",
    )


def test_the_home_page_tells_managers_what_waits(
    client, sunrise_house, manager_maya, officer_olivia
):
    waiting_suggestion(sunrise_house)
    client.force_login(manager_maya)
    page = _page(client, "/")
    assert "Concern levels waiting for a decision" in page
    assert "1 suggestion from the nightly check and 0 proposals" in page
    assert reverse("concern:queue") in page
    client.force_login(officer_olivia)
    assert "Concern levels waiting" not in _page(client, "/")


def test_the_provider_page_shows_its_services_above_level_1(
    client_for, sunrise, sunrise_house, sunrise_lodge, manager_maya, manager_mo, board_bea
):
    client = client_for(manager_maya)
    assert "Every service of this provider is at level 1" in _page(
        client, sunrise.get_absolute_url()
    )
    concern.decide(sunrise_house, actor=manager_maya, level=2, reason="Complaints")
    concern.propose(sunrise_lodge, actor=manager_maya, level=3, reason="Inadequate")
    board_decides_concern(sunrise_lodge, "approve", bea=board_bea, maya=manager_maya)
    concern.approve(sunrise_lodge, actor=manager_mo)
    page = _page(client, sunrise.get_absolute_url())
    assert "The highest level among its services is <strong>Level 3: major concerns" in page
    assert "Ceasing to commission services / termination of contract may be considered" in page
    section = page[page.index('id="concern-levels"') :]
    assert section.index("Sunrise Lodge") < section.index("Sunrise House")


def test_the_queue_reads_the_same_number_of_queries_for_5_and_50_suggestions(
    client_for, manager_maya, manager_mo
):
    client = client_for(manager_maya)

    def add(n):
        for _ in range(n):
            waiting_suggestion(ServiceFactory(), level=2)
            # A suggestion on a service with a move proposed too.
            both = ServiceFactory()
            waiting_suggestion(both, level=3)
            concern.propose(both, actor=manager_mo, level=3, reason="x")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("concern:queue")).status_code == 200
        return len(ctx.captured_queries)

    add(5)
    count()  # warm the per-process caches (content types, the policy) first
    few = count()
    add(45)
    assert count() == few


def test_an_unknown_step_is_not_found(client_for, sunrise_house, manager_maya):
    client = client_for(manager_maya)
    assert client.get(_step(sunrise_house, "nonsense")).status_code == 404
    assert client.get(reverse("concern:suggestion_step", args=[1, "accept"])).status_code == 404
