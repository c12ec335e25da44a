"""Background workers: push delivery."""
