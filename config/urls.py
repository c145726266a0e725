from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reports.views.unsubscribe import unsubscribe

urlpatterns = [
    # The service has no public pages: its front door is the admin's (login, then home by role).
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="root"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cases.urls")),
    path("api/v1/", include("audit.urls")),
    path("api/v1/", include("sources.urls")),
    path("api/v1/coalition/", include("coalition.urls")),
    path("api/v1/", include("reports.urls")),
    path("api/v1/", include("imports.urls")),
    # Reached from e-mails without signing in: outside the API and the admin.
    path("email/unsubscribe/<str:token>/", unsubscribe, name="email-unsubscribe"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the page runs under a CSP with no
    # inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

handler400 = "core.errors.api_bad_request"
handler403 = "core.errors.api_permission_denied"
handler404 = "core.errors.api_page_not_found"
handler500 = "core.errors.api_server_error"
