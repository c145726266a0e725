from rest_framework.routers import DefaultRouter

from .views import CaseViewSet, FacilityViewSet, OblastViewSet

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("oblasts", OblastViewSet, basename="oblast")

urlpatterns = router.urls
