"""How the API names an account or an organization in other records: by id and name only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class UserRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class OrganizationRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
