from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("fupin.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("assess/", include("fupin.policy.urls")),
    path("assessments/", include("fupin.policy.urls_areas")),
    path("spotchecks/", include("fupin.spotchecks.urls")),
    path("crosscheck/", include("fupin.crosscheck.urls")),
    path("targets/", include("fupin.targets.urls")),
    path("", include("fupin.procedures.urls")),
    path("", include("fupin.web.urls")),
]
if settings.DEBUG:  # pragma: no cover - convenience only
    pass
