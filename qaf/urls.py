from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from qaf import passwords, sessions, token_views, twofactor, views
from qaf.api_urls import urlpatterns as api_v1
from qaf.forms import SignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("accounts/two-factor/", twofactor.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", twofactor.setup, name="two_factor_setup"),
    path("accounts/two-factor/manage/", twofactor.manage, name="two_factor_manage"),
    path(
        "accounts/two-factor/manage/recovery-codes/",
        twofactor.new_codes,
        name="two_factor_new_codes",
    ),
    path("accounts/two-factor/manage/new-app/", twofactor.new_app, name="two_factor_new_app"),
    path(
        "accounts/password_change/",
        passwords.ChangePasswordView.as_view(),
        name="password_change",
    ),
    path("accounts/session/", sessions.keepalive, name="session_keepalive"),
    path("accounts/api-token/", token_views.token_page, name="api_token"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("providers.urls")),
    path("", include("risk.urls")),
    # Before reviews.urls, whose reviews/<pk>/<step>/ would take reviews/<pk>/public-summary/.
    path("", include("reviews.summary_urls")),
    path("", include("reviews.urls")),
    path("", include("escalation.urls")),
    path("", include("escalation.concern_urls")),
    path("", include("escalation.revocation_urls")),
    path("imports/", include("providers.import_urls")),
    path("letters/", include("qaf.letter_urls")),
    path("memo/", include("escalation.memo_urls")),
    path("board/", include("escalation.board_urls")),
    path("data-protection/", include("qaf.privacy.urls")),
    # Published summaries of final reviews: no sign-in (reviews.public_views).
    path("public/", include("reviews.public_urls")),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler404 = "qaf.views.not_found"
