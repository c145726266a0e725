"""The reports app's API routes, under ``api/v1/``."""

from rest_framework.routers import SimpleRouter

from .views.reminders import ReminderViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("reminders", ReminderViewSet, basename="reminder")

urlpatterns = [
    *router.urls,
]
