"""The imports app's services, one module per job: ``match_runs`` (identity matching over a
list)."""
