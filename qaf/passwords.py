"""Password rules after the NCSC's guidance, and the page that changes a password.

Length over complexity: at least 10 characters, and no rules about which kinds of character
(no "one capital, one digit, one symbol"), no forced expiry. A password must not be on a list
of common passwords shipped with the code, checked with no network call: Django's own list of
the 20,000 passwords most often found in breaches (``CommonPasswordValidator``). It must not be
only digits, nor like the user's name or email address.

The validators are Django's, with messages a user can act on (GOV.UK style: what is wrong and
what to do), shown on every page that sets a password: the invitation's, the reset link's and
"Change password". Changing the password ends every other session (Django's session hash) and
gives this one a new key; it also revokes the user's API token, which the old password won.
"""

from __future__ import annotations

from django.contrib.auth import password_validation as django_validators
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView

from qaf.tokens import revoke_token

THREE_WORDS = "Three random words make a long password that is easy to remember."


class MinimumLengthValidator(django_validators.MinimumLengthValidator):
    def get_error_message(self):
        return f"Your password must be {self.min_length} characters or more. {THREE_WORDS}"

    def get_help_text(self):
        return f"Use {self.min_length} characters or more. {THREE_WORDS}"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def get_error_message(self):
        return (
            "This password is too easy to guess: it is on a list of passwords people often "
            "use. Choose a different one."
        )

    def get_help_text(self):
        return "Do not use a password people often use (QAF checks a list of 20,000)."


class NumericPasswordValidator(django_validators.NumericPasswordValidator):
    def get_error_message(self):
        return "Your password cannot be only numbers. Use words as well."

    def get_help_text(self):
        return "Do not use only numbers."


class UserAttributeSimilarityValidator(django_validators.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "Your password is too like your %(verbose_name)s. Choose a different one."

    def get_help_text(self):
        return "Do not use your name, username or email address."


class ChangePasswordForm(PasswordChangeForm):
    """Django's form in QAF's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm the new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": "Your current password is not right. Enter it again.",
            "password_mismatch": "The two new passwords are not the same. Enter them again.",
        }


class ChangePasswordView(PasswordChangeView):
    """Django's view: the form is valid, the password set, the session's key changed and the
    other sessions ended (``update_session_auth_hash``); QAF also revokes the API token."""

    form_class = ChangePasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        revoke_token(form.user)
        return response
