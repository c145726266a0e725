from rest_framework.routers import SimpleRouter

from .views import AuditEventViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
