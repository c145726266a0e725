"""The imports API, one module a job."""
