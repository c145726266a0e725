"""The reports app's API serializers, one module per part."""
