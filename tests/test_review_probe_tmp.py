from __future__ import annotations
from typing import Any
import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from tests.imports.match_world import MatchWorld, match_world
pytestmark = pytest.mark.django_db
__all__ = ["match_world"]
HUGE = 99999999999999999999

def client_for(user):
    c = APIClient(raise_request_exception=False)
    t, _ = Token.objects.get_or_create(user=user)
    c.credentials(HTTP_AUTHORIZATION=f"Token {t.key}")
    return c

def test_probe(match_world: MatchWorld):
    c = client_for(match_world.coordinator_a)
    cw = client_for(match_world.caseworker_a)
    out = []
    def p(label, r):
        out.append((label, r.status_code, r.content[:200]))
    for url in ["/api/v1/duplicates/%s/", "/api/v1/match-runs/%s/", "/api/v1/imports/%s/", "/api/v1/match-runs/%s/results/", "/api/v1/match-runs/%s/csv/"]:
        for v in [HUGE, -1, "abc", "1.5", "0x1"]:
            p(url % v, cw.get(url % v))
    for v in [HUGE, -1]:
        p("decide", cw.post(f"/api/v1/duplicates/{v}/decide/", {"decision": "same"}, format="json"))
        p("commit", cw.post(f"/api/v1/imports/{v}/commit/", {}, format="json"))
        p("confirm", cw.post(f"/api/v1/match-runs/{v}/confirm/", {"row": 1, "rank": 1}, format="json"))
    p("list-run huge", c.post("/api/v1/match-runs/", {"child_list": HUGE}, format="json"))
    p("list-run str", c.post("/api/v1/match-runs/", {"child_list": "x"}, format="json"))
    p("list-run null", c.post("/api/v1/match-runs/", {"child_list": None}, format="json"))
    p("list-run list body", c.post("/api/v1/match-runs/", [1], format="json"))
    p("list-run text", c.post("/api/v1/match-runs/", "hello", content_type="text/plain"))
    p("match list body", cw.post("/api/v1/children/match/", [1], format="json"))
    p("match nul", cw.post("/api/v1/children/match/", {"full_name": "a\x00b"}, format="json"))
    p("match dob 0000", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій", "date_of_birth": "0000"}, format="json"))
    p("match dob 9999-99", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій", "date_of_birth": "2012-13"}, format="json"))
    p("match limit huge", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій", "limit": HUGE}, format="json"))
    p("match name dict", cw.post("/api/v1/children/match/", {"full_name": {"a": 1}}, format="json"))
    p("match oblast bad", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій", "origin_oblast": "UA-99"}, format="json"))
    p("match only punct", cw.post("/api/v1/children/match/", {"full_name": "''' --- ..."}, format="json"))
    p("match long", cw.post("/api/v1/children/match/", {"given_name": "Ол"*50, "family_name": "К"*100, "patronymic": "с"*100}, format="json"))
    p("match combining", cw.post("/api/v1/children/match/", {"full_name": "\u0301\u0301 \u0308"}, format="json"))
    p("match ok", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій", "date_of_birth": "2012"}, format="json"))
    p("match ok D", client_for(match_world.caseworker_d).post("/api/v1/children/match/", {"full_name": "Коваленко Олексій Сергійович", "date_of_birth": "2012-05-17"}, format="json"))
    p("match multipart", cw.post("/api/v1/children/match/", {"full_name": "Коваленко Олексій"}, format="multipart"))
    p("imports json", cw.post("/api/v1/imports/", {"file": "x"}, format="json"))
    p("imports org huge", cw.post("/api/v1/imports/", {"organization": str(HUGE)}, format="multipart"))
    p("runs multipart nofile", cw.post("/api/v1/match-runs/", {"x": "1"}, format="multipart"))
    p("dup list filter", cw.get("/api/v1/duplicates/?child=%s" % HUGE))
    p("dup list filter2", cw.get("/api/v1/duplicates/?decision=zzz"))
    p("imports list filter", cw.get("/api/v1/imports/?organization=%s" % HUGE))
    p("imports list filter2", cw.get("/api/v1/imports/?status=zzz"))
    for o in out: print(o)
