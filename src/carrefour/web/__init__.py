"""The operator console: server-rendered pages for the hub's operators."""
