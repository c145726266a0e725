"""Query filters of the reports API, one module per part."""
