from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import CaseCountsView, CaseRemovalViewSet, CaseViewSet, FacilityViewSet, OblastViewSet
from .views_duplicates import DuplicatePairViewSet
from .views_matching import ChildMatchView

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("case-removals", CaseRemovalViewSet, basename="case-removal")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("oblasts", OblastViewSet, basename="oblast")
router.register("duplicates", DuplicatePairViewSet, basename="duplicate")

urlpatterns = [
    path("case-counts/", CaseCountsView.as_view(), name="case-counts"),
    path("children/match/", ChildMatchView.as_view(), name="child-match"),
    *router.urls,
]
