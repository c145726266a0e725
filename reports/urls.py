"""The reports app's API routes (under ``/api/v1/``). The unsubscribe page, reached from
e-mails without signing in, is routed outside the API in ``config.urls``."""

from rest_framework.routers import SimpleRouter

from .views.reminders import ReminderViewSet
from .views.reports import StatusReportViewSet
from .views.subscriptions import SubscriptionViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("reports", StatusReportViewSet, basename="report")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")

urlpatterns = [
    *router.urls,
]
