from django.urls import path
from rest_framework.routers import SimpleRouter

from .views.dossier import CountryDossierView, CountryListView
from .views.lists import ChildListEntryViewSet, ChildListViewSet
from .views.meetings import MeetingViewSet, ResolutionViewSet, StatementViewSet
from .views.members import (
    CommitmentViewSet,
    MemberViewSet,
    PartyViewSet,
    PledgeViewSet,
    ProjectAreaViewSet,
    ProjectViewSet,
)

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("parties", PartyViewSet, basename="coalition-party")
router.register("areas", ProjectAreaViewSet, basename="coalition-area")
router.register("commitments", CommitmentViewSet, basename="coalition-commitment")
router.register("members", MemberViewSet, basename="coalition-member")
router.register("projects", ProjectViewSet, basename="coalition-project")
router.register("pledges", PledgeViewSet, basename="coalition-pledge")
router.register("meetings", MeetingViewSet, basename="coalition-meeting")
router.register("statements", StatementViewSet, basename="coalition-statement")
router.register("resolutions", ResolutionViewSet, basename="coalition-resolution")
router.register("lists", ChildListViewSet, basename="coalition-list")
router.register("list-entries", ChildListEntryViewSet, basename="coalition-list-entry")

urlpatterns = [
    *router.urls,
    path("countries/", CountryListView.as_view(), name="coalition-country-list"),
    path("countries/<str:code>/", CountryDossierView.as_view(), name="coalition-country-dossier"),
]
