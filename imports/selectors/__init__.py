"""Reads of the imports app, one module a job."""
