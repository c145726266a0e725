"""The coalition's reference data from public reporting, loaded from ``seeds/`` through the
services, idempotently: one module per part of the coalition."""
