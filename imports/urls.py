"""The imports app's API routes (under ``/api/v1/``)."""

from rest_framework.routers import SimpleRouter

from .views.case_imports import CaseImportViewSet
from .views.match_runs import MatchRunViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("imports", CaseImportViewSet, basename="case-import")
router.register("match-runs", MatchRunViewSet, basename="match-run")

urlpatterns = [
    *router.urls,
]
