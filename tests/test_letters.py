"""Letters from templates (issue 10 item 3, qaf.letters).

Alex administers QAF and edits the letters' texts; Maya, a manager, issues a letter about
Sunrise House (Sunrise Care Ltd), where Pat works; Quinn works at Oak Lodge Ltd and never sees
Sunrise's letters. The letter of these stories is "notice", registered for the tests; the
escalation letters' default texts are checked at the end.
"""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from django.core import mail
from django.urls import reverse

from qaf import letters
from qaf.concurrency import StaleEdit
from qaf.models import Document, LetterTemplate
from qaf.pdf import render_document
from tests.factories import IntelligenceFactory

pytestmark = pytest.mark.django_db

NOTICE_BODY = """Dear {{ provider }}

We write about {{ service }}.

The reasons:
{{ reasons }}

Please act by {{ deadline }}.
At the latest {{ minimum_until }}."""

FIELDS = {
    "provider": "The provider's name",
    "service": "The service's name",
    "reasons": "The reasons (a list)",
    "deadline": "The date to act by",
    "minimum_until": "The earliest end (may be empty)",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def notice():
    letter = letters.register(
        "notice",
        title="Notice of concern",
        default_body=NOTICE_BODY,
        fields=FIELDS,
        sample={"provider": "Sample Care Ltd", "service": "Sample House", "reasons": ["Late"]},
    )
    yield letter
    letters._LETTERS.pop("notice")


@pytest.fixture
def maya(manager_maya):
    manager_maya.last_name = "Patel"
    manager_maya.job_title = "Commercial and Quality Support Manager"
    manager_maya.save()
    return manager_maya


CONTEXT = {
    "provider": "Sunrise Care Ltd",
    "service": "Sunrise House",
    "reasons": ["Missed calls", "Late medicines"],
    "deadline": date(2026, 12, 3),
}


def _issue(meeting_at_sunrise, actor, **context) -> Document:
    return letters.issue_letter(
        "notice", meeting_at_sunrise, actor=actor, context={**CONTEXT, **context}
    )


def _pdf_text(document: Document) -> str:
    render_document(document)
    document.refresh_from_db()
    assert document.status == Document.Status.READY
    reader = pypdf.PdfReader(io.BytesIO(document.file.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _form(letter, body, *, based_on=1, title=None, note="", action="save") -> dict:
    return {
        "title": title or letter.title,
        "body": body,
        "note": note,
        "based_on": based_on,
        "action": action,
    }


def _edit_url(key="notice") -> str:
    return reverse("letters:edit", args=[key])


# --- rendering -----------------------------------------------------------------------------------


def test_values_and_the_administrators_text_are_escaped():
    html = letters.render_body(
        "Dear {{ provider }}\n<script>alert(1)</script>",
        {"provider": "Sunrise <b>Care</b> & Co"},
    )
    assert "<script>" not in html and "<b>" not in html
    assert "Sunrise &lt;b&gt;Care&lt;/b&gt; &amp; Co" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_safe_string_given_as_a_value_is_escaped_too():
    from django.utils.safestring import mark_safe

    html = letters.render_body("{{ x }}", {"x": mark_safe("<i>x</i>")})
    assert "<i>" not in html


def test_paragraphs_line_breaks_bullets_lists_dates_and_empty_values():
    html = letters.render_body(
        "Dear {{ provider }}\nof {{ service }}\n\nThe reasons:\n{{ reasons }}\n\n"
        "- one\n- two\n\nBy {{ deadline }}.\nNot before {{ minimum_until }}.\n\n{{ nothing }}",
        {
            "provider": "Sunrise",
            "service": "Sunrise House",
            "reasons": ["Missed calls", "", None, "Late <medicines>"],
            "deadline": date(2026, 12, 3),
            "minimum_until": None,
        },
    )
    assert html == (
        '<p class="govuk-body">Dear Sunrise<br>of Sunrise House</p>\n'
        '<p class="govuk-body">The reasons:</p>\n'
        '<ul class="govuk-list govuk-list--bullet"><li>Missed calls</li>'
        "<li>Late &lt;medicines&gt;</li></ul>\n"
        '<ul class="govuk-list govuk-list--bullet"><li>one</li><li>two</li></ul>\n'
        '<p class="govuk-body">By 3 December 2026.</p>'
    )


def test_a_line_with_some_fields_filled_stays():
    html = letters.render_body("{{ a }} and {{ b }}", {"a": "", "b": "B"})
    assert html == '<p class="govuk-body">and B</p>'


def test_an_empty_list_leaves_nothing():
    assert letters.render_body("Reasons:\n\n{{ reasons }}", {"reasons": []}) == (
        '<p class="govuk-body">Reasons:</p>'
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "Dear {{ provder }}",
            "{{ provder }} is not a field of this letter: provider, service, reasons, "
            "deadline, minimum_until, council.",
        ),
        ("{{ provider.name }}", "{{ provider.name }} is not a merge field"),
        ("{{ provider|safe }}", "{{ provider|safe }} is not a merge field"),
        ("{% if provider %}x{% endif %}", "{% if provider %} cannot be used"),
        ("{# note #}", "{# note #} cannot be used"),
        ("Dear {{ provider", "A merge field is not closed"),
        ("{{ __class__ }}", "{{ __class__ }} is not a field of this letter"),
    ],
)
def test_anything_but_a_field_of_the_letter_is_refused(notice, body, problem):
    problems = letters.body_errors(notice, body)
    assert any(p.startswith(problem) for p in problems), problems


def test_registering_checks_the_default_text_and_the_samples(notice):
    with pytest.raises(ValueError, match="provder"):
        letters.register("bad", title="Bad", default_body="{{ provder }}", fields=FIELDS)
    with pytest.raises(ValueError, match="samples of no field"):
        letters.register("bad", title="Bad", default_body="x", fields=FIELDS, sample={"y": 1})
    with pytest.raises(ValueError, match="already registered differently"):
        letters.register("notice", title="Other", default_body="x", fields=FIELDS)
    assert "bad" not in {letter.key for letter in letters.registered()}


# --- issuing -------------------------------------------------------------------------------------


def test_issuing_stores_the_rendered_letter_for_the_provider(
    notice, meeting_at_sunrise, maya, provider_pat, sunrise_house
):
    document = _issue(meeting_at_sunrise, maya)
    assert document.kind == "notice"
    assert document.title == "Notice of concern – Sunrise House"
    assert (document.service, document.provider) == (sunrise_house, sunrise_house.provider)
    assert document.visible_to_provider
    assert document.recipients == [provider_pat.email]
    assert document.template == "letters/letter_pdf.html"
    stored = LetterTemplate.objects.get(key="notice")  # the default, stored once used
    letter = document.context["letter"]
    assert (letter["version"], letter["template_id"]) == (1, stored.pk)
    assert "<li>Late medicines</li>" in letter["body"]
    assert "3 December 2026" in letter["body"]
    assert letter["signed_by"] == {
        "name": "Maya Patel",
        "job_title": "Commercial and Quality Support Manager",
    }


def test_the_pdf_is_a_branded_letter(notice, meeting_at_sunrise, maya, sunrise):
    sunrise.address = "4 Mill Lane\nAvonmere"
    sunrise.save()
    text = _pdf_text(_issue(meeting_at_sunrise, maya))
    for expected in (
        "Avonmere Council",  # the running header
        "Sunrise Care Ltd 4 Mill Lane Avonmere BA1 1AA",  # the recipient block
        "Notice of concern",
        "Dear Sunrise Care Ltd",
        "Missed calls",
        "Please act by 3 December 2026.",
        "Yours sincerely, Maya Patel Commercial and Quality Support Manager",
        "Page 1 of 1",
    ):
        assert expected in text
    assert "At the latest" not in text  # its only field was empty


def test_the_date_is_today_unless_given(meeting_at_sunrise, maya):
    document = letters.issue_letter(
        "suspension", meeting_at_sunrise, actor=maya, context={}, today=date(2026, 12, 3)
    )
    assert "from 3 December 2026" in document.context["letter"]["body"]


def test_recipients_may_be_given(notice, meeting_at_sunrise, maya):
    document = letters.issue_letter(
        "notice",
        meeting_at_sunrise,
        actor=maya,
        context=CONTEXT,
        recipients=["owner@sunrise.example"],
    )
    assert document.recipients == ["owner@sunrise.example"]


def test_a_field_the_letter_does_not_have_is_a_mistake(notice, meeting_at_sunrise, maya):
    with pytest.raises(ValueError, match="provder is not a field of the letter 'notice'"):
        letters.issue_letter("notice", meeting_at_sunrise, actor=maya, context={"provder": "x"})
    assert not Document.objects.exists()


def test_an_unknown_letter_is_a_mistake(meeting_at_sunrise, maya):
    with pytest.raises(LookupError):
        letters.issue_letter("nonsense", meeting_at_sunrise, actor=maya, context={})


def test_a_letter_about_a_provider_has_no_service(notice, sunrise, maya):
    document = letters.issue_letter(
        "notice", IntelligenceFactory(provider=sunrise, service=None), actor=maya, context={}
    )
    assert (document.provider, document.service) == (sunrise, None)
    assert document.title == "Notice of concern – Sunrise Care Ltd"


def test_an_issued_letter_never_changes_when_the_text_is_edited_later(
    notice, meeting_at_sunrise, maya, admin_alex
):
    first = _issue(meeting_at_sunrise, maya)  # its PDF is produced after the edit below
    letters.save_version(
        notice,
        title="Notice of serious concern",
        body="Dear {{ provider }}\n\nThis is the new text.",
        note="Shorter",
        actor=admin_alex,
        based_on=1,
    )
    second = _issue(meeting_at_sunrise, maya)
    old, new = _pdf_text(first), _pdf_text(second)
    assert "We write about Sunrise House." in old and "new text" not in old
    assert "This is the new text." in new and "We write about" not in new
    assert "Notice of serious concern" in new
    assert (first.context["letter"]["version"], second.context["letter"]["version"]) == (1, 2)
    # Both versions are kept.
    assert [t.version for t in letters.versions(notice)] == [2, 1]
    assert letters.version(notice, 1).body == NOTICE_BODY


# --- email ---------------------------------------------------------------------------------------


def test_each_recipient_is_emailed_a_link_and_not_the_letter(
    notice,
    meeting_at_sunrise,
    maya,
    provider_pat,
    sunrise,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.QAF_BASE_URL = "https://qaf.avonmere.example"
    colleague = type(provider_pat).objects.create(
        username="sam", email="sam@sunrise.example", provider=sunrise
    )
    with django_capture_on_commit_callbacks(execute=True):
        document = _issue(meeting_at_sunrise, maya)
        assert mail.outbox == []  # nothing before the commit
    assert sorted(m.to[0] for m in mail.outbox) == sorted([provider_pat.email, colleague.email])
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees another's address
    message = mail.outbox[0]
    assert message.subject == "Letter issued: Notice of concern – Sunrise House"
    assert message.attachments == []
    link = f"https://qaf.avonmere.example{meeting_at_sunrise.service.get_absolute_url()}#documents"
    assert link in message.body
    assert "Notice of concern – Sunrise House" in message.body
    assert "Missed calls" not in message.body and "Dear" not in message.body
    assert Document.objects.filter(pk=document.pk).exists()


def test_a_mail_server_that_fails_never_loses_the_letter(
    notice,
    meeting_at_sunrise,
    maya,
    provider_pat,
    monkeypatch,
    django_capture_on_commit_callbacks,
    caplog,
):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(letters, "send_mass_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        document = _issue(meeting_at_sunrise, maya)
    assert Document.objects.filter(pk=document.pk).exists()
    assert "Could not email the letter" in caplog.text


def test_a_failed_issue_leaves_no_letter_and_no_email(
    notice, meeting_at_sunrise, maya, provider_pat, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _issue(meeting_at_sunrise, maya)
        raise RuntimeError("the approval failed after the letter")
    assert not Document.objects.exists()
    assert mail.outbox == []


# --- who sees it ---------------------------------------------------------------------------------


def test_the_provider_sees_its_own_letters_only(
    notice, meeting_at_sunrise, maya, client_for, provider_pat, provider_quinn, sunrise
):
    document = _issue(meeting_at_sunrise, maya)
    render_document(document)
    pat = client_for(provider_pat)
    assert (
        document.get_absolute_url() in pat.get(meeting_at_sunrise.service.get_absolute_url()).text
    )
    assert document.get_absolute_url() in pat.get(sunrise.get_absolute_url()).text
    assert pat.get(document.get_absolute_url()).status_code == 200
    quinn = client_for(provider_quinn)
    assert quinn.get(document.get_absolute_url()).status_code == 404
    assert quinn.get(sunrise.get_absolute_url()).status_code == 404
    assert not Document.objects.visible_to(provider_quinn).exists()


# --- the administrator's pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "list_page", "edit_page"),
    [
        ("admin_alex", 200, 200),
        ("officer_olivia", 200, 403),
        ("manager_maya", 200, 403),
        ("partner_pia", 200, 403),
        ("provider_pat", 403, 403),
    ],
)
def test_only_administrators_change_letters(
    notice, client_for, request, user, list_page, edit_page
):
    client = client_for(request.getfixturevalue(user))
    assert client.get(reverse("letters:list")).status_code == list_page
    assert client.get(reverse("letters:detail", args=["notice"])).status_code == list_page
    assert client.get(reverse("letters:version", args=["notice", 1])).status_code == list_page
    assert client.get(_edit_url()).status_code == edit_page
    response = client.post(_edit_url(), _form(notice, "Dear {{ provider }}"))
    assert response.status_code == (302 if edit_page == 200 else 403)


def test_an_unknown_letter_or_version_is_not_found(notice, client_for, admin_alex):
    client = client_for(admin_alex)
    assert client.get(reverse("letters:detail", args=["nonsense"])).status_code == 404
    assert client.get(reverse("letters:version", args=["notice", 2])).status_code == 404


def test_the_pages_show_the_default_as_version_1(notice, client_for, officer_olivia):
    client = client_for(officer_olivia)
    page = client.get(reverse("letters:list")).text
    assert "Notice of concern" in page
    page = client.get(reverse("letters:detail", args=["notice"])).text
    assert "Letter, version 1" in page
    assert "Dear Sample Care Ltd" in page  # rendered with the samples
    assert "{{ provider }}" in page  # the text as written, and the fields beside it
    assert "QAF (the default text)" in page
    assert "Change this letter" not in page  # an officer reads only
    assert not LetterTemplate.objects.exists()  # reading stores nothing


def test_the_edit_previews_then_saves_a_new_version(notice, client_for, admin_alex):
    client = client_for(admin_alex)
    page = client.get(_edit_url()).text
    assert "Starting from version 1" in page
    assert "{{ reasons }}" in page  # the fields beside the form
    body = "Dear {{ provider }}\r\n\r\nOur new text about {{ service }}.\r\n\r\n{{ reasons }}"
    preview = client.post(_edit_url(), _form(notice, body, note="Plainer", action="preview"))
    assert preview.status_code == 200
    html = preview.text
    assert "Check the letter" in html
    assert '<p class="govuk-body">Our new text about Sample House.</p>' in html
    assert "<li>Late</li>" in html
    assert "Save as version 2" in html and "Change it" in html
    assert not LetterTemplate.objects.exists()  # nothing saved by a preview
    # "Change it" goes back to the form with the text.
    back = client.post(_edit_url(), _form(notice, body, note="Plainer", action="change"))
    assert "Our new text about {{ service }}." in back.text
    assert "Preview the letter" in back.text
    saved = client.post(_edit_url(), _form(notice, body, note="Plainer"))
    assert saved.status_code == 302
    assert saved["Location"] == reverse("letters:detail", args=["notice"])
    latest = letters.current(notice)
    assert (latest.version, latest.note, latest.created_by) == (2, "Plainer", admin_alex)
    assert (
        latest.body == "Dear {{ provider }}\n\nOur new text about {{ service }}.\n\n{{ reasons }}"
    )
    assert letters.version(notice, 1).body == NOTICE_BODY  # the default, kept as version 1
    page = client.get(reverse("letters:detail", args=["notice"])).text
    assert "Letter, version 2" in page and "Version 1" in page and "Plainer" in page
    old = client.get(reverse("letters:version", args=["notice", 1])).text
    assert "We write about Sample House." in old
    assert "not the current text" in old


def test_a_field_the_letter_lacks_is_refused_when_saved(notice, client_for, admin_alex):
    response = client_for(admin_alex).post(
        _edit_url(), _form(notice, "Dear {{ provder }}", action="preview")
    )
    assert response.status_code == 200
    assert (
        "{{ provder }} is not a field of this letter: provider, service, reasons, deadline, "
        "minimum_until, council." in response.content.decode()
    )
    assert "Check the letter" not in response.text
    assert not LetterTemplate.objects.exists()


def test_nothing_changed_is_refused(notice, client_for, admin_alex):
    response = client_for(admin_alex).post(_edit_url(), _form(notice, NOTICE_BODY))
    assert response.status_code == 200
    assert "Nothing has changed" in response.text
    assert not LetterTemplate.objects.exists()


def test_a_stale_edit_is_refused(notice, client_for, admin_alex):
    """Alex and a second administrator both start from version 1; the second saves first."""
    from tests.factories import UserFactory

    sam = UserFactory(username="sam", first_name="Sam", last_name="Jones", roles=["admin"])
    assert client_for(sam).post(_edit_url(), _form(notice, "Sam's text")).status_code == 302
    client = client_for(admin_alex)
    response = client.post(_edit_url(), _form(notice, "Alex's text"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Version 2 of this letter was saved by Sam Jones" in text
    assert "Your text has not been saved" in text
    assert "Alex&#x27;s text" in text  # kept in the form, not lost
    assert [t.body for t in letters.versions(notice)] == ["Sam's text", NOTICE_BODY]


def test_the_service_refuses_a_stale_edit_and_a_race_on_the_same_version(notice, admin_alex):
    letters.save_version(notice, title="T", body="One", note="", actor=admin_alex, based_on=1)
    with pytest.raises(StaleEdit, match="Version 2 of this letter was saved by"):
        letters.save_version(notice, title="T", body="Two", note="", actor=admin_alex, based_on=1)
    assert LetterTemplate.objects.count() == 2


def test_two_saves_of_the_same_version_at_once_refuse_the_second(notice, admin_alex, monkeypatch):
    """Both passed the check before either wrote: the database's unique (key, version) refuses
    the second, with a message."""
    letters.save_version(notice, title="T", body="One", note="", actor=admin_alex, based_on=1)
    monkeypatch.setattr(letters, "stale_message", lambda letter, based_on: None)
    with pytest.raises(StaleEdit, match="saved this letter at the same moment"):
        letters.save_version(notice, title="T", body="Two", note="", actor=admin_alex, based_on=1)
    assert [t.body for t in letters.versions(notice)] == ["One", NOTICE_BODY]


def test_a_bad_starting_version_is_a_message(notice, client_for, admin_alex):
    response = client_for(admin_alex).post(_edit_url(), _form(notice, "x", based_on="abc"))
    assert response.status_code == 200
    assert "The version you started from is not known" in response.text


def test_the_preview_as_pdf(notice, client_for, admin_alex):
    response = client_for(admin_alex).post(
        reverse("letters:preview_pdf", args=["notice"]),
        _form(notice, "Dear {{ provider }}\n\nA preview of {{ service }}.", action="preview"),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    assert "PREVIEW" in text and "A preview of Sample House." in text
    assert "Dear Sample Care Ltd" in text
    assert not LetterTemplate.objects.exists() and not Document.objects.exists()


def test_only_administrators_see_the_letters_in_the_menu(client_for, admin_alex, officer_olivia):
    url = reverse("letters:list")
    assert f'href="{url}"' in client_for(admin_alex).get("/").text
    assert f'href="{url}"' not in client_for(officer_olivia).get("/").text


# --- the escalation letters' default texts ------------------------------------------------------


def _default(key: str, **values) -> str:
    letter = letters.get(key)
    return str(letters.render_body(letter.default_body, {**letter.sample, **values}))


def test_the_suspension_letter_says_what_the_policy_asks():
    text = _default("suspension")
    # source 000 §8: the reasons, the actions to end it, existing placements unaffected, appeal.
    assert "<li>An organisational safeguarding enquiry is open.</li>" in text
    assert "To end the suspension you will need to:" in text
    assert "will not impact contracts already in place" in text
    assert "through the provider portal" in text
    assert "in writing to the Commercial and Quality Assurance Manager" in text
    # source 003 §2.5: a minimum period, only when there is one.
    assert "until at least 3 June 2027" in text
    assert "until at least" not in _default("suspension", minimum_until=None)


def test_the_lifting_and_appeal_letters():
    from escalation.letters import appeal_consequence

    assert "has lifted the suspension of Sunrise House" in _default("suspension_lifted")
    refused = _default(
        "appeal_outcome",
        outcome="refused",
        consequence=appeal_consequence(upheld=False, service="Sunrise House"),
    )
    assert "decided that your appeal is refused" in refused
    assert "stays in place. The actions set out in our letter" in refused
    assert "has ended" in appeal_consequence(upheld=True, service="Sunrise House")


def test_every_registered_letter_has_samples_for_all_its_fields():
    for letter in letters.registered():
        missing = set(letter.fields) - set(letter.sample) - {"council"}
        assert not missing, f"{letter.key}: no sample for {missing}"
