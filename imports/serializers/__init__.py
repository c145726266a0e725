"""Output and input serializers of the imports API, one module a job."""
