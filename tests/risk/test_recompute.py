"""The set-based recompute against the database: equal to evaluating service by service,
writes only what changed, records rating changes, re-rates at once when facts change."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from providers.models import Intelligence, Service
from reviews.models import IN_PROGRESS, InformationRequest, InformationRequestItem, Review
from risk.matrix import ServiceFacts, evaluate
from risk.models import PolicyVersion, RatingChange, ServiceRisk
from risk.recompute import MONITORING_KINDS, recompute
from risk.schedules import ScheduleFacts, schedule
from tests.factories import IntelligenceFactory, ProviderFactory, ReviewFactory, ServiceFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def reference_result(service: Service, today: date):
    """The same rules, facts gathered one service at a time with plain ORM queries."""
    intel = Intelligence.objects.filter(Q(service=service) | Q(provider=service.provider))
    finals = service.reviews.filter(status="final").order_by("-completed_on", "-pk")
    full = finals.filter(kind="full").first()
    review = finals.first()
    audit = intel.filter(kind="safeguarding_audit").order_by("-date", "-pk").first()
    facts = ServiceFacts(
        regulated=service.regulated,
        regulator=service.regulator,
        regulator_rating=service.regulator_rating,
        last_inspection_date=service.last_inspection_date,
        registered_manager=service.registered_manager,
        registration_date=service.registration_date,
        sponsorship_licence=service.provider.sponsorship_licence,
        open_safeguarding_enquiry=intel.filter(kind="safeguarding_enquiry", status="open").exists(),
        latest_full_review_date=full.completed_on if full else None,
        latest_full_review_rating=full.rating if full else None,
        latest_audit_date=audit.date if audit else None,
        latest_audit_outcome=audit.outcome if audit else None,
    )
    policy = PolicyVersion.current()
    result = evaluate(facts, policy.matrix, today)
    sent = service.information_requests.filter(status__in=["sent", "closed"])
    answers = [
        timezone.localdate(item.answered_at)
        for item in InformationRequestItem.objects.filter(
            request__in=sent, answered_at__isnull=False
        )
    ]
    visits = service.reviews.filter(visit_recorded_at__isnull=False).values_list(
        "visit_date", flat=True
    )
    contacts = [
        d
        for d in (
            intel.filter(kind__in=MONITORING_KINDS)
            .order_by("-date")
            .values_list("date", flat=True)
            .first(),
            review.completed_on if review else None,
            *visits,
            *answers,
        )
        if d
    ]
    in_progress = service.reviews.filter(status__in=IN_PROGRESS)
    plan = schedule(
        ScheduleFacts(
            registered_on=service.registration_date or timezone.localdate(service.created_at),
            overall_rating=result.rating,
            market_risk=service.market_risk,
            latest_full_review_date=facts.latest_full_review_date,
            latest_review_date=review.completed_on if review else None,
            latest_review_rating=review.rating if review else None,
            full_review_in_progress=in_progress.filter(kind="full").exists(),
            review_in_progress=in_progress.exists(),
            last_contact_date=max(contacts, default=None),
            out_of_area=service.out_of_area,
            care_home=service.service_type in ("care_home", "care_home_nursing"),
            regulator_rating=service.regulator_rating,
            council_funded_people=service.council_funded_people,
            capacity=service.capacity,
            last_information_request_date=max(
                (r.issued_on for r in sent if r.issued_on), default=None
            ),
        ),
        policy.schedules,
        today,
    )
    return result, plan


def _random_register(n: int, seed: int = 7):
    rng = random.Random(seed)
    providers = [
        ProviderFactory(
            sponsorship_licence=rng.choice(
                ["not_held", "active", "suspended", "revoked", "not_held"]
            )
        )
        for _ in range(n // 3 + 1)
    ]
    for i in range(n):
        regulated = rng.random() < 0.85
        service = ServiceFactory(
            provider=rng.choice(providers),
            regulated=regulated,
            regulator="CQC" if regulated else "",
            regulator_id="" if not regulated else f"1-{5000000000 + seed * 100000 + i}",
            regulator_rating=rng.choice(
                ["outstanding", "good", "requires_improvement", "inadequate", "not_rated"]
            )
            if regulated
            else "not_rated",
            last_inspection_date=(TODAY - timedelta(days=rng.randint(0, 2500)))
            if regulated and rng.random() < 0.9
            else None,
            registered_manager=rng.choice([True, True, True, False, None]),
            registration_date=(TODAY - timedelta(days=rng.randint(0, 4000)))
            if rng.random() < 0.6
            else None,
            service_type=rng.choice(["care_home", "care_home_nursing", "domiciliary_care"]),
            out_of_area=rng.random() < 0.3,
            host_authority="Somerset Council",
            council_funded_people=rng.randint(0, 12),
            capacity=rng.choice([None, 10, 40]),
            market_risk_reasons=["block_contract"] if rng.random() < 0.1 else [],
        )
        for _ in range(rng.randint(0, 3)):
            ReviewFactory(
                service=service,
                kind=rng.choice(["full", "full", "focused"]),
                rating=rng.choice(["green", "amber", "red"]),
                completed_on=TODAY - timedelta(days=rng.randint(0, 2500)),
            )
        if rng.random() < 0.3:
            recorded = rng.random() < 0.5
            ReviewFactory(
                service=service,
                kind=rng.choice(["full", "focused"]),
                status=rng.choice(["planned", "visit_done", "draft", "cancelled"]),
                cancelled_reason="Moved",
                rating="",
                completed_on=None,
                visit_date=TODAY - timedelta(days=rng.randint(0, 700)) if recorded else None,
                visit_recorded_at=timezone.now() if recorded else None,
            )
        if rng.random() < 0.4:
            sent = rng.random() < 0.8
            request = InformationRequest.objects.create(
                service=service,
                status=rng.choice(["sent", "closed"]) if sent else "draft",
                issued_on=TODAY - timedelta(days=rng.randint(0, 900)) if sent else None,
            )
            if sent and rng.random() < 0.6:
                request.items.create(
                    text="Staff rota",
                    status="answered",
                    answered_at=timezone.now() - timedelta(days=rng.randint(0, 900)),
                )
        if rng.random() < 0.3:
            IntelligenceFactory(
                service=service,
                kind="safeguarding_audit",
                outcome=rng.choice(["satisfactory", "not_satisfactory"]),
                date=TODAY - timedelta(days=rng.randint(0, 800)),
                confidential=True,
            )
        if rng.random() < 0.15:
            IntelligenceFactory(
                service=service,
                kind="safeguarding_enquiry",
                status=rng.choice(["open", "closed"]),
                confidential=True,
            )
        if rng.random() < 0.3:
            IntelligenceFactory(
                service=service,
                kind="contract_meeting",
                date=TODAY - timedelta(days=rng.randint(0, 700)),
            )
    for provider in providers[::4]:
        IntelligenceFactory(
            service=None,
            provider=provider,
            kind="safeguarding_enquiry",
            status="open",
            confidential=True,
        )
    for provider in providers[1::5]:
        IntelligenceFactory(
            service=None,
            provider=provider,
            kind="safeguarding_audit",
            outcome="not_satisfactory",
            date=TODAY - timedelta(days=30),
            confidential=True,
        )


def test_set_based_recompute_equals_evaluating_each_service(any_time_of_day):
    _random_register(80)
    recompute(today=TODAY)
    risks = {r.service_id: r for r in ServiceRisk.objects.all()}
    assert len(risks) == Service.objects.count() == 80
    for service in Service.objects.select_related("provider"):
        expected, plan = reference_result(service, TODAY)
        got = risks[service.pk]
        assert got.rating == expected.rating, service.pk
        assert got.score == expected.score
        assert got.factors == [f.as_dict() for f in expected.factors]
        assert got.next_review_due == plan.next_review_due
        assert got.review_overdue == plan.review_overdue
        assert got.follow_up_due == plan.follow_up_due
        assert got.minimum_contact_met == plan.minimum_contact_met
        assert got.information_request_months == plan.information_request_months
        assert got.information_request_due == plan.information_request_due
        assert got.information_request_overdue == plan.information_request_overdue
        assert got.follow_up_overdue == plan.follow_up_overdue
        assert got.never_reviewed == plan.never_reviewed
        assert got.direct_monitoring == plan.direct_monitoring


def test_reads_do_not_grow_with_the_number_of_services():
    _random_register(10, seed=1)
    recompute(today=TODAY)
    with CaptureQueriesContext(connection) as few:
        recompute(today=TODAY + timedelta(days=1))
    _random_register(60, seed=2)
    recompute(today=TODAY + timedelta(days=1))
    with CaptureQueriesContext(connection) as many:
        recompute(today=TODAY + timedelta(days=2))

    def reads(ctx):
        return [
            q
            for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith(("SELECT", "DECLARE"))
        ]

    assert len(reads(many)) == len(reads(few))


def test_rating_by_ids_gives_the_results_of_the_full_run():
    """An import or an edit re-rates the services it touched by id (one array in each query);
    the nightly run, rating everyone, must find nothing of theirs to change."""
    _random_register(45, seed=11)
    ids = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    chosen = ids[::3]
    recompute(chosen[:2], today=TODAY - timedelta(days=2))  # the policy version made
    with CaptureQueriesContext(connection) as few:
        recompute(chosen[:2], today=TODAY - timedelta(days=1))
    ServiceRisk.objects.all().delete()
    RatingChange.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        by_ids = recompute(chosen, today=TODAY)

    def reads(ctx):
        return [q for q in ctx.captured_queries if q["sql"].startswith(("SELECT", "DECLARE"))]

    assert len(reads(many)) == len(reads(few))  # as many reads for 2 ids as for 15
    assert (by_ids.services, by_ids.changed) == (len(chosen), len(chosen))
    rated = {r["service_id"]: r for r in ServiceRisk.objects.values()}
    assert set(rated) == set(chosen)
    changes = list(RatingChange.objects.order_by("service_id").values())

    full = recompute(today=TODAY)
    assert (full.services, full.changed) == (len(ids), len(ids) - len(chosen))
    after = {r["service_id"]: r for r in ServiceRisk.objects.values()}
    assert {sid: after[sid] for sid in chosen} == rated
    assert (
        list(RatingChange.objects.filter(service_id__in=chosen).order_by("service_id").values())
        == changes
    )


def test_a_second_run_changes_nothing():
    _random_register(30, seed=3)
    first = recompute(today=TODAY)
    assert first.changed == 30
    before = list(ServiceRisk.objects.order_by("pk").values())
    changes = RatingChange.objects.count()
    second = recompute(today=TODAY)
    assert second.changed == 0
    assert list(ServiceRisk.objects.order_by("pk").values()) == before
    assert RatingChange.objects.count() == changes


def test_a_rating_change_is_recorded_with_the_factors_that_changed(sunrise_house):
    ReviewFactory(service=sunrise_house, completed_on=date(2025, 9, 1))
    IntelligenceFactory(
        service=sunrise_house,
        kind="safeguarding_audit",
        outcome="satisfactory",
        date=date(2026, 3, 1),
        confidential=True,
    )
    recompute(today=TODAY)
    assert sunrise_house.risk.rating == "green"
    first = RatingChange.objects.get(service=sunrise_house)
    assert (first.from_rating, first.to_rating) == ("", "green")

    Service.objects.filter(pk=sunrise_house.pk).update(
        regulator_rating="inadequate", registered_manager=False
    )
    recompute(today=TODAY + timedelta(days=1))
    change = RatingChange.objects.filter(service=sunrise_house).first()
    assert (change.from_rating, change.to_rating) == ("green", "red")
    assert change.date == TODAY + timedelta(days=1)
    assert change.changed_factors == ["regulator_rating", "registered_manager"]
    assert change.worsened


def test_ages_move_with_today_without_any_change_of_facts(sunrise_house):
    Service.objects.filter(pk=sunrise_house.pk).update(last_inspection_date=date(2023, 11, 26))
    ReviewFactory(service=sunrise_house, completed_on=date(2025, 9, 1))
    IntelligenceFactory(
        service=sunrise_house,
        kind="safeguarding_audit",
        outcome="satisfactory",
        date=date(2026, 3, 1),
        confidential=True,
    )
    recompute(today=TODAY)
    assert ServiceRisk.objects.get(pk=sunrise_house.pk).rating == "green"
    recompute(today=date(2026, 11, 26))
    risk = ServiceRisk.objects.get(pk=sunrise_house.pk)
    assert risk.rating == "amber"
    assert risk.evaluated_on == date(2026, 11, 26)


def test_a_failed_run_leaves_the_previous_results(sunrise_house, monkeypatch):
    recompute(today=TODAY)
    before = list(ServiceRisk.objects.values())
    Service.objects.filter(pk=sunrise_house.pk).update(regulator_rating="inadequate")

    import risk.recompute as module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_flush", broken)
    with pytest.raises(RuntimeError):
        recompute(today=TODAY)
    assert list(ServiceRisk.objects.values()) == before


def test_provider_wide_enquiry_reaches_every_service(
    sunrise, sunrise_house, sunrise_lodge, oak_lodge_home
):
    IntelligenceFactory(
        service=None,
        provider=sunrise,
        kind="safeguarding_enquiry",
        status="open",
        confidential=True,
    )
    recompute(today=TODAY)
    assert ServiceRisk.objects.get(pk=sunrise_house.pk).rating == "red"
    assert ServiceRisk.objects.get(pk=sunrise_lodge.pk).rating == "red"
    assert ServiceRisk.objects.get(pk=oak_lodge_home.pk).rating != "red"


class TestRecomputedAtOnce:
    """Facts changed through the app re-rate the services affected, after the commit."""

    def test_logging_an_open_enquiry(self, sunrise_house, django_capture_on_commit_callbacks):
        recompute(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            IntelligenceFactory(
                service=sunrise_house, kind="safeguarding_enquiry", status="open", confidential=True
            )
        assert ServiceRisk.objects.get(pk=sunrise_house.pk).rating == "red"

    def test_a_provider_losing_its_licence(
        self, sunrise, sunrise_house, sunrise_lodge, django_capture_on_commit_callbacks
    ):
        recompute(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            sunrise.sponsorship_licence = "revoked"
            sunrise.save()
        assert set(ServiceRisk.objects.filter(rating="red").values_list("pk", flat=True)) == {
            sunrise_house.pk,
            sunrise_lodge.pk,
        }

    def test_a_finalised_review(self, sunrise_house, django_capture_on_commit_callbacks):
        review = ReviewFactory(
            service=sunrise_house, status="planned", rating="", completed_on=None
        )
        recompute(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            Review.objects.filter(pk=review.pk)  # a queryset update sends no signal...
            review.status, review.rating, review.completed_on = "final", "red", TODAY
            review.save()  # ...the workflow's save does
        risk = ServiceRisk.objects.get(pk=sunrise_house.pk)
        assert risk.rating == "red"
        assert risk.follow_up_due == date(2027, 5, 25)

    def test_editing_a_service_through_the_api(
        self, api_for, officer_olivia, sunrise_house, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_for(officer_olivia).patch(
                f"/api/v1/services/{sunrise_house.pk}/",
                {"regulator_rating": "inadequate"},
                format="json",
            )
        assert response.status_code == 200
        body = api_for(officer_olivia).get(f"/api/v1/services/{sunrise_house.pk}/").json()
        assert body["risk"]["rating"] == "red"
        assert body["risk"]["factors"][0] == {
            "factor": "regulator_rating",
            "rag": "red",
            "reason": "Rated Inadequate by CQC",
        }


class TestRiskIsStaffOnly:
    """The rating reflects confidential safeguarding facts: provider users never see it."""

    def test_service_page(self, client_for, provider_pat, sunrise_house, officer_olivia):
        IntelligenceFactory(
            service=sunrise_house, kind="safeguarding_enquiry", status="open", confidential=True
        )
        recompute(today=TODAY)
        page = client_for(provider_pat).get(sunrise_house.get_absolute_url()).content.decode()
        assert "Risk rating" not in page
        assert "safeguarding enquiry" not in page.lower()
        staff = client_for(officer_olivia).get(sunrise_house.get_absolute_url()).content.decode()
        assert "An organisational safeguarding enquiry is open" in staff

    def test_api(self, api_for, provider_pat, sunrise_house):
        recompute(today=TODAY)
        body = api_for(provider_pat).get(f"/api/v1/services/{sunrise_house.pk}/").json()
        assert body["risk"] is None
        assert body["schedule"] is None

    def test_list_filter_and_column(
        self, client_for, api_for, provider_pat, sunrise_house, sunrise_lodge
    ):
        IntelligenceFactory(
            service=sunrise_house, kind="safeguarding_enquiry", status="open", confidential=True
        )
        recompute(today=TODAY)
        # Filtering by rating would reveal it: the filter does not exist for provider users.
        listing = api_for(provider_pat).get("/api/v1/services/", {"risk_rating": "red"}).json()
        assert listing["count"] == 2
        page = client_for(provider_pat).get("/services/", {"risk_rating": "red"})
        assert page.context["table"].paginator.count == 2
        assert "qaf-rag--red" not in page.content.decode()
