"""Review toolkits (issue 4 item 1): the default toolkit, versions, the draft editor, pages.

Alex (admin_alex) looks after the toolkits: he makes version 2 of the default toolkit, edits it
and publishes it, which retires version 1. Olivia (officer) and Pia (partner) can read every
version but change none; Pat (provider user at Sunrise Care) cannot see toolkits at all.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from reviews import toolkits
from reviews.models import Domain, Question, Standard, Toolkit, ToolkitStatus
from reviews.services import Forbidden, NotNow, current_toolkit

DEFAULT_NAME = "QAF quality review toolkit"
DEFAULT_JSON = Path(__file__).resolve().parents[2] / "reviews" / "default_toolkit.json"
CQC_KEY_QUESTIONS = ["Safe", "Effective", "Caring", "Responsive", "Well-led"]


@pytest.fixture
def version_1(db) -> Toolkit:
    """The toolkit the data migration made. A transactional test run before this one (a browser
    journey) flushes every table, migration data included: the migration's own function puts it
    back (inside this test's transaction), as it would on a fresh database."""
    if not Toolkit.objects.filter(name=DEFAULT_NAME, version=1).exists():
        importlib.import_module("reviews.migrations.0003_default_toolkit").create_default(
            apps, None
        )
    return Toolkit.objects.get(name=DEFAULT_NAME, version=1)


@pytest.fixture
def version_2(version_1, admin_alex) -> Toolkit:
    """Alex's draft copy of the default toolkit."""
    return toolkits.new_version(version_1, actor=admin_alex)


def _content(toolkit: Toolkit) -> list[tuple]:
    """Everything a version says, in order, without ids: equal for a faithful copy."""
    rows = []
    for domain in toolkit.domains.prefetch_related("standards__questions"):
        rows.append(("domain", domain.order, domain.title, domain.description))
        for standard in domain.standards.all():
            rows.append(
                ("standard", standard.order, standard.code, standard.title, standard.outcome)
            )
            for question in standard.questions.all():
                rows.append(
                    (
                        "question",
                        question.order,
                        question.text,
                        question.guidance,
                        question.evidence_prompts,
                    )
                )
    return rows


def _standards(toolkit: Toolkit):
    return Standard.objects.filter(domain__toolkit=toolkit)


# --- The default toolkit ----------------------------------------------------------------


def test_default_toolkit_is_published_after_migrations(version_1):
    assert version_1.status == ToolkitStatus.PUBLISHED
    assert version_1.published_at is not None
    assert current_toolkit() == version_1
    assert [d.title for d in version_1.domains.all()] == CQC_KEY_QUESTIONS
    assert [d.order for d in version_1.domains.all()] == [1, 2, 3, 4, 5]


def test_every_default_standard_has_questions_with_guidance_and_evidence(version_1):
    standards = list(_standards(version_1).prefetch_related("questions"))
    assert 15 <= len(standards) <= 20
    codes = [s.code for s in standards]
    assert len(set(codes)) == len(codes)
    for standard in standards:
        assert standard.code[0] == standard.domain.title[0]  # S1 under Safe, W1 under Well-led
        assert standard.outcome
        questions = list(standard.questions.all())
        assert 2 <= len(questions) <= 4, standard.code
        for question in questions:
            assert "Excellent:" in question.guidance and "Poor:" in question.guidance
            assert "(source 00" in question.guidance, question.text
            assert question.evidence_prompts


def test_default_toolkit_matches_its_json_and_weaves_in_the_core_principles(version_1):
    data = json.loads(DEFAULT_JSON.read_text(encoding="utf-8"))
    assert data["name"] == DEFAULT_NAME
    titles = {s.title for s in _standards(version_1)}
    assert titles == {s["title"] for d in data["domains"] for s in d["standards"]}
    outcomes = " ".join(_standards(version_1).values_list("outcome", flat=True))
    for principle in (
        "Person-centred care",
        "Co-production",
        "Transparency and accountability",
        "Continuous improvement",
        "Equity and inclusion",
    ):
        assert f"source 000 §3, {principle}" in outcomes


def test_default_toolkit_migration_is_reversible_and_idempotent(version_1):
    migration = importlib.import_module("reviews.migrations.0003_default_toolkit")
    before = _content(version_1)

    migration.remove_default(apps, None)
    assert not Toolkit.objects.filter(name=DEFAULT_NAME).exists()
    assert not Question.objects.exists()

    migration.create_default(apps, None)
    migration.create_default(apps, None)  # a second run finds it there
    recreated = Toolkit.objects.get(name=DEFAULT_NAME)
    assert recreated.status == ToolkitStatus.PUBLISHED
    assert _content(recreated) == before


# --- Versions ---------------------------------------------------------------------------


def test_new_version_copies_everything_and_leaves_the_published_one_alone(version_1, admin_alex):
    before = _content(version_1)
    question_ids = set(
        Question.objects.filter(standard__domain__toolkit=version_1).values_list("pk", flat=True)
    )

    draft = toolkits.new_version(version_1, actor=admin_alex)

    assert (draft.name, draft.version, draft.status) == (DEFAULT_NAME, 2, ToolkitStatus.DRAFT)
    assert draft.based_on == version_1
    assert draft.created_by == admin_alex
    assert draft.published_at is None
    assert draft.description == version_1.description
    assert _content(draft) == before
    copied = set(
        Question.objects.filter(standard__domain__toolkit=draft).values_list("pk", flat=True)
    )
    assert copied.isdisjoint(question_ids)
    version_1.refresh_from_db()
    assert version_1.status == ToolkitStatus.PUBLISHED
    assert _content(version_1) == before
    assert current_toolkit() == version_1  # a draft is not used by reviews


def test_only_one_draft_at_a_time_and_drafts_are_edited_not_copied(version_2, admin_alex):
    with pytest.raises(NotNow, match="Version 2 is already a draft"):
        toolkits.new_version(version_2.based_on, actor=admin_alex)
    with pytest.raises(NotNow, match="is a draft: change it directly"):
        toolkits.new_version(version_2, actor=admin_alex)


def test_only_administrators_change_toolkits(version_1, officer_olivia, manager_maya, partner_pia):
    for user in (officer_olivia, manager_maya, partner_pia):
        with pytest.raises(Forbidden):
            toolkits.new_version(version_1, actor=user)
    assert Toolkit.objects.filter(name=DEFAULT_NAME).count() == 1


@pytest.mark.parametrize(
    "edit",
    [
        lambda tk, actor: toolkits.add_domain(tk, actor=actor, title="Extra"),
        lambda tk, actor: toolkits.edit_domain(tk.domains.first(), actor=actor, title="Unsafe"),
        lambda tk, actor: toolkits.delete_domain(tk.domains.first(), actor=actor),
        lambda tk, actor: toolkits.move_domain(tk.domains.last(), actor=actor, direction="up"),
        lambda tk, actor: toolkits.add_standard(
            tk.domains.first(), actor=actor, code="S9", title="New"
        ),
        lambda tk, actor: toolkits.edit_standard(
            _standards(tk).first(), actor=actor, code="S1", title="Changed"
        ),
        lambda tk, actor: toolkits.delete_standard(_standards(tk).first(), actor=actor),
        lambda tk, actor: toolkits.add_question(_standards(tk).first(), actor=actor, text="New?"),
        lambda tk, actor: toolkits.edit_question(
            Question.objects.filter(standard__domain__toolkit=tk).first(), actor=actor, text="?"
        ),
        lambda tk, actor: toolkits.delete_question(
            Question.objects.filter(standard__domain__toolkit=tk).first(), actor=actor
        ),
        lambda tk, actor: toolkits.edit_toolkit(tk, actor=actor, description="Changed"),
        lambda tk, actor: toolkits.discard_draft(tk, actor=actor),
    ],
)
def test_a_published_version_cannot_be_changed(version_1, admin_alex, edit):
    before = _content(version_1)
    with pytest.raises(NotNow, match="published versions cannot be changed"):
        edit(version_1, admin_alex)
    version_1.refresh_from_db()
    assert _content(version_1) == before
    assert version_1.description


def test_editing_a_draft(version_2, admin_alex):
    safe = version_2.domains.get(title="Safe")
    standard = toolkits.add_standard(
        safe, actor=admin_alex, code="S6", title="Infection prevention and control"
    )
    assert standard.order == safe.standards.count()
    question = toolkits.add_question(
        standard, actor=admin_alex, text="Is the home clean?", guidance="Excellent: ..."
    )
    assert question.order == 1
    toolkits.edit_standard(standard, actor=admin_alex, code="S6", title="Infection control")
    toolkits.move_standard(standard, actor=admin_alex, direction="up")
    codes = list(safe.standards.values_list("code", flat=True))
    assert codes[-2:] == ["S6", "S5"]
    toolkits.move_domain(version_2.domains.get(title="Well-led"), actor=admin_alex, direction="up")
    assert list(version_2.domains.values_list("title", flat=True)) == [
        "Safe",
        "Effective",
        "Caring",
        "Well-led",
        "Responsive",
    ]
    # Moving the first item up changes nothing.
    toolkits.move_domain(version_2.domains.get(title="Safe"), actor=admin_alex, direction="up")
    assert version_2.domains.first().title == "Safe"


def test_a_standard_code_is_used_once_per_toolkit(version_2, admin_alex):
    caring = version_2.domains.get(title="Caring")
    with pytest.raises(ValidationError) as refused:
        toolkits.add_standard(caring, actor=admin_alex, code="s1", title="Copy")
    assert "code" in refused.value.message_dict
    s2 = _standards(version_2).get(code="S2")
    with pytest.raises(ValidationError):
        toolkits.edit_standard(s2, actor=admin_alex, code="S1", title=s2.title)
    # Keeping its own code is fine.
    toolkits.edit_standard(s2, actor=admin_alex, code="S2", title="Risk")


def test_publish_retires_the_version_it_replaces(version_1, version_2, admin_alex):
    published = toolkits.publish(version_2, actor=admin_alex)

    assert published.status == ToolkitStatus.PUBLISHED
    assert published.published_at is not None
    assert published.published_by == admin_alex  # who published it, for the record
    version_1.refresh_from_db()
    assert version_1.status == ToolkitStatus.RETIRED
    assert current_toolkit() == version_2
    with pytest.raises(NotNow, match="already published"):
        toolkits.publish(version_2, actor=admin_alex)
    # A retired version can be the start of a new one again.
    version_3 = toolkits.new_version(version_1, actor=admin_alex)
    assert (version_3.version, version_3.based_on) == (3, version_1)


def test_publish_refuses_an_empty_toolkit_or_a_standard_without_questions(version_2, admin_alex):
    s3 = _standards(version_2).get(code="S3")
    for question in list(s3.questions.all()):
        toolkits.delete_question(question, actor=admin_alex)
    with pytest.raises(NotNow, match="Standard S3 Medicines has no questions"):
        toolkits.publish(version_2, actor=admin_alex)
    version_2.refresh_from_db()
    assert version_2.status == ToolkitStatus.DRAFT

    empty = Toolkit.objects.create(name="Children's homes toolkit", status=ToolkitStatus.DRAFT)
    with pytest.raises(NotNow, match="no domains"):
        toolkits.publish(empty, actor=admin_alex)
    toolkits.add_domain(empty, actor=admin_alex, title="Safe")
    with pytest.raises(NotNow, match="has no standards"):
        toolkits.publish(empty, actor=admin_alex)


def test_discarding_a_draft(version_2, admin_alex):
    toolkits.discard_draft(version_2, actor=admin_alex)
    assert not Toolkit.objects.filter(pk=version_2.pk).exists()
    assert Toolkit.objects.filter(name=DEFAULT_NAME).count() == 1


# --- Pages ------------------------------------------------------------------------------

READ_PAGES = ["reviews:toolkit_list", "reviews:toolkit_detail"]


def _url(name: str, toolkit: Toolkit) -> str:
    return reverse(name) if name == "reviews:toolkit_list" else reverse(name, args=[toolkit.pk])


@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin_alex", 200),
        ("officer_olivia", 200),
        ("manager_maya", 200),
        ("board_bea", 200),
        ("partner_pia", 200),
        ("provider_pat", 403),
    ],
)
def test_every_staff_role_reads_toolkits_and_providers_do_not(
    request, client, version_1, page, who, status
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(_url(page, version_1)).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, version_1):
    response = client.get(reverse("reviews:toolkit_detail", args=[version_1.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


EDIT_PAGES = [
    ("reviews:toolkit_edit", "toolkit"),
    ("reviews:toolkit_publish", "toolkit"),
    ("reviews:toolkit_discard", "toolkit"),
    ("reviews:toolkit_domain_add", "toolkit"),
    ("reviews:toolkit_domain_edit", "domain"),
    ("reviews:toolkit_domain_delete", "domain"),
    ("reviews:toolkit_standard_add", "domain"),
    ("reviews:toolkit_standard_edit", "standard"),
    ("reviews:toolkit_standard_delete", "standard"),
    ("reviews:toolkit_question_add", "standard"),
    ("reviews:toolkit_question_edit", "question"),
    ("reviews:toolkit_question_delete", "question"),
]


def _objects(toolkit: Toolkit) -> dict:
    standard = _standards(toolkit).first()
    return {
        "toolkit": toolkit,
        "domain": toolkit.domains.first(),
        "standard": standard,
        "question": standard.questions.first(),
    }


@pytest.mark.parametrize(("name", "obj"), EDIT_PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin_alex", 200),
        ("officer_olivia", 403),
        ("manager_maya", 403),
        ("partner_pia", 403),
        ("provider_pat", 403),
    ],
)
def test_only_administrators_open_the_draft_editor(
    request, client, version_2, name, obj, who, status
):
    client.force_login(request.getfixturevalue(who))
    target = _objects(version_2)[obj]
    assert client.get(reverse(name, args=[target.pk])).status_code == status


@pytest.mark.parametrize("who", ["officer_olivia", "partner_pia", "provider_pat"])
def test_nobody_else_can_post_changes(request, client, version_1, version_2, who):
    client.force_login(request.getfixturevalue(who))
    domain = version_2.domains.first()
    posts = [
        (reverse("reviews:toolkit_new_version", args=[version_1.pk]), {}),
        (reverse("reviews:toolkit_publish", args=[version_2.pk]), {}),
        (reverse("reviews:toolkit_domain_edit", args=[domain.pk]), {"title": "Hacked"}),
        (reverse("reviews:toolkit_domain_move", args=[domain.pk]), {"direction": "down"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    version_2.refresh_from_db()
    assert version_2.status == ToolkitStatus.DRAFT
    assert version_2.domains.first().title == "Safe"


def test_the_detail_page_reads_as_a_document(client, officer_olivia, version_1):
    client.force_login(officer_olivia)
    response = client.get(version_1.get_absolute_url())
    html = response.content.decode()
    assert '<h1 class="govuk-heading-l">QAF quality review toolkit</h1>' in html
    for title in CQC_KEY_QUESTIONS:
        assert f">{title}</h2>" in html
    assert "S1 Safeguarding people from abuse and harm" in html
    assert "How to judge it" in html and "Evidence to look for" in html
    assert "Make a new version" not in html  # officers read, they do not change


def test_the_detail_page_issues_a_fixed_number_of_queries(
    client, admin_alex, version_2, django_assert_max_num_queries
):
    client.force_login(admin_alex)
    with django_assert_max_num_queries(12):
        assert client.get(version_2.get_absolute_url()).status_code == 200


def test_admin_makes_a_new_version_edits_it_and_publishes_it(client, admin_alex, version_1):
    client.force_login(admin_alex)
    page = client.get(version_1.get_absolute_url()).content.decode()
    assert "Make a new version" in page

    response = client.post(reverse("reviews:toolkit_new_version", args=[version_1.pk]))
    draft = Toolkit.objects.get(name=DEFAULT_NAME, version=2)
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    editor = client.get(draft.get_absolute_url()).content.decode()
    assert "Publish version 2" in editor and "Add a domain" in editor
    assert 'Move standard<span class="govuk-visually-hidden"> S2</span> up' in editor

    # The published version now points to the draft instead of offering another copy.
    page = client.get(version_1.get_absolute_url()).content.decode()
    assert "Make a new version" not in page and "carry on changing version 2" in page

    safe = draft.domains.get(title="Safe")
    response = client.post(
        reverse("reviews:toolkit_standard_add", args=[safe.pk]),
        {"code": "s6", "title": "Infection prevention and control", "outcome": "Clean homes"},
    )
    assert response.status_code == 302
    standard = _standards(draft).get(code="S6")  # codes are saved in capitals
    assert response["Location"].endswith(f"#standard-{standard.pk}")
    client.post(
        reverse("reviews:toolkit_question_add", args=[standard.pk]),
        {
            "text": "Are infection control audits done and acted on?",
            "guidance": "",
            "evidence_prompts": "",
        },
    )
    assert standard.questions.count() == 1

    confirm = client.get(reverse("reviews:toolkit_publish", args=[draft.pk])).content.decode()
    assert "Publish version 2?" in confirm
    assert "Reviews planned from now on use it" in confirm
    assert "Published versions cannot be changed" in confirm
    assert "Version 1, the one in use now, will be retired" in confirm

    response = client.post(reverse("reviews:toolkit_publish", args=[draft.pk]), follow=True)
    assert "Version 2 is published" in response.content.decode()
    draft.refresh_from_db()
    version_1.refresh_from_db()
    assert (draft.status, version_1.status) == (ToolkitStatus.PUBLISHED, ToolkitStatus.RETIRED)


def test_forms_show_validation_errors(client, admin_alex, version_2):
    client.force_login(admin_alex)
    safe = version_2.domains.get(title="Safe")
    url = reverse("reviews:toolkit_standard_add", args=[safe.pk])

    response = client.post(url, {"code": "", "title": "", "outcome": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter a code for the standard, like S1" in html
    assert "Enter a title for the standard" in html
    assert "<title>Error: " in html

    response = client.post(url, {"code": "E1", "title": "Duplicate", "outcome": ""})
    assert "Standard E1 already exists in this toolkit" in response.content.decode()
    assert not _standards(version_2).filter(title="Duplicate").exists()

    standard = safe.standards.first()
    response = client.post(
        reverse("reviews:toolkit_question_add", args=[standard.pk]), {"text": "  "}
    )
    assert "Enter the question" in response.content.decode()
    response = client.post(reverse("reviews:toolkit_domain_add", args=[version_2.pk]), {})
    assert "Enter a title for the domain" in response.content.decode()


def test_publish_page_explains_what_is_missing(client, admin_alex, version_2):
    client.force_login(admin_alex)
    s1 = _standards(version_2).get(code="S1")
    s1.questions.all().delete()
    html = client.get(reverse("reviews:toolkit_publish", args=[version_2.pk])).content.decode()
    assert "cannot be published yet" in html
    assert "Standard S1 Safeguarding people from abuse and harm has no questions" in html
    response = client.post(reverse("reviews:toolkit_publish", args=[version_2.pk]), follow=True)
    assert "cannot be published yet" in response.content.decode()
    version_2.refresh_from_db()
    assert version_2.status == ToolkitStatus.DRAFT


def test_editor_pages_refuse_a_published_version(client, admin_alex, version_1):
    client.force_login(admin_alex)
    question = Question.objects.filter(standard__domain__toolkit=version_1).first()
    url = reverse("reviews:toolkit_question_edit", args=[question.pk])

    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == version_1.get_absolute_url()
    assert "published versions cannot be changed" in response.content.decode()

    response = client.post(url, {"text": "Changed?"}, follow=True)
    assert "published versions cannot be changed" in response.content.decode()
    question.refresh_from_db()
    assert question.text != "Changed?"

    domain = version_1.domains.last()
    client.post(reverse("reviews:toolkit_domain_move", args=[domain.pk]), {"direction": "up"})
    assert version_1.domains.last() == domain


def test_moving_and_removing_in_the_editor(client, admin_alex, version_2):
    client.force_login(admin_alex)
    responsive = version_2.domains.get(title="Responsive")
    response = client.post(
        reverse("reviews:toolkit_domain_move", args=[responsive.pk]), {"direction": "down"}
    )
    assert response["Location"].endswith(f"#domain-{responsive.pk}")
    assert version_2.domains.last() == responsive
    assert (
        client.post(
            reverse("reviews:toolkit_domain_move", args=[responsive.pk]), {"direction": "sideways"}
        ).status_code
        == 400
    )

    confirm = client.get(reverse("reviews:toolkit_domain_delete", args=[responsive.pk]))
    assert "Remove the domain “Responsive”?" in confirm.content.decode()
    client.post(reverse("reviews:toolkit_domain_delete", args=[responsive.pk]))
    assert not Domain.objects.filter(pk=responsive.pk).exists()
    assert not _standards(version_2).filter(code__startswith="R").exists()


def test_toolkits_are_in_the_navigation_for_administrators_only(client, admin_alex, officer_olivia):
    link = f'href="{reverse("reviews:toolkit_list")}"'
    client.force_login(admin_alex)
    assert link in client.get(reverse("home")).content.decode()
    client.force_login(officer_olivia)
    assert link not in client.get(reverse("home")).content.decode()
