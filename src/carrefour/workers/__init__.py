"""Background workers: push delivery and batch files."""
