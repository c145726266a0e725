"""The coalition's reference data from public reporting, one loader per part, each through
the services with the system as actor (``None``) and idempotent."""
