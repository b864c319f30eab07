"""factory_boy factories for the rows that tests do not care to name."""

from __future__ import annotations

from datetime import date

import factory

from providers.models import (
    Contract,
    Intelligence,
    IntelligenceKind,
    Provider,
    Regulator,
    RegulatorRating,
    Service,
    ServiceType,
)
from qaf.models import Role, User

PASSWORD = "correct-horse-battery"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@council.example")
    roles = factory.LazyFunction(lambda: [Role.OFFICER])
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n} Ltd")
    regulator_provider_id = factory.Sequence(lambda n: f"1-{200000000 + n}")
    postcode = "BA1 1AA"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    service_type = ServiceType.CARE_HOME
    regulated = True
    regulator = Regulator.CQC
    regulator_id = factory.Sequence(lambda n: f"1-{3000000000 + n}")
    regulator_rating = RegulatorRating.GOOD
    last_inspection_date = date(2025, 3, 14)
    # Said by someone: the model's default is "not known" (None).
    registered_manager = True
    capacity = 40
    council_funded_people = 10
    local_authority_area = "Northfield"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"C-{n:05d}")
    provider = factory.SubFactory(ProviderFactory)
    start_date = date(2024, 4, 1)
    framework = "Residential Framework"

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.services.set(extracted)


class IntelligenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intelligence

    service = factory.SubFactory(ServiceFactory)
    kind = IntelligenceKind.CONTRACT_MEETING
    date = date(2026, 10, 1)
    summary = factory.Sequence(lambda n: f"Contract meeting note {n}")


class ReviewFactory(factory.django.DjangoModelFactory):
    """A final review by default (what the risk matrix reads)."""

    class Meta:
        model = "reviews.Review"

    service = factory.SubFactory(ServiceFactory)
    kind = "full"
    status = "final"
    rating = "green"
    completed_on = date(2025, 9, 1)


class ToolkitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Toolkit"

    name = factory.Sequence(lambda n: f"Test toolkit {n}")
    status = "published"


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Domain"

    toolkit = factory.SubFactory(ToolkitFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Domain {n}")


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Standard"

    domain = factory.SubFactory(DomainFactory)
    order = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"T{n}")
    title = factory.Sequence(lambda n: f"Standard {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Question"

    standard = factory.SubFactory(StandardFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Question {n}?")
    guidance = "Excellent: always. Poor: never."
    evidence_prompts = "Records: the care plans.\nSpeak to: two care staff."


def small_toolkit(layout: dict[str, dict[str, list[str]]]):
    """A published toolkit from ``{"Safe": {"S1 Safeguarding": ["question", ...]}, ...}``
    (a standard's key is its code, then its title)."""
    kit = ToolkitFactory()
    for d, (domain_title, standards) in enumerate(layout.items()):
        domain = DomainFactory(toolkit=kit, order=d, title=domain_title)
        for s, (key, questions) in enumerate(standards.items()):
            code, _, title = key.partition(" ")
            standard = StandardFactory(domain=domain, order=s, code=code, title=title or code)
            for q, text in enumerate(questions):
                QuestionFactory(standard=standard, order=q, text=text)
    return kit


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A library file's row (no bytes on disk): clean unless ``scan_status`` says otherwise."""

    class Meta:
        model = "providers.Evidence"

    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"Policy {n}")
    evidence_date = date(2026, 1, 5)
    file = factory.LazyAttribute(lambda o: f"evidence/{o.provider.pk}/{o.title}.pdf")
    original_name = factory.LazyAttribute(lambda o: f"{o.title}.pdf")
    content_type = "application/pdf"
    extension = ".pdf"
    size = 10
    sha256 = "0" * 64
    scan_status = "clean"
    uploaded_by = factory.SubFactory(UserFactory)
