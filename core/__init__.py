"""The lowest layer of the registry: error types and their handler, API plumbing, database
helpers, compiled reads, renderers, admin and form bases, the append-only base, e-mail sending and
seed-reading helpers. Nothing here imports an app of the project; every app may import it."""
