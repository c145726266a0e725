from rest_framework.routers import SimpleRouter

from .views.meetings import MeetingViewSet, ResolutionViewSet, StatementViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="coalition-meeting")
router.register("statements", StatementViewSet, basename="coalition-statement")
router.register("resolutions", ResolutionViewSet, basename="coalition-resolution")

urlpatterns = router.urls
