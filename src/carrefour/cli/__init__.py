"""The ``carrefour`` command line (Typer + Rich): one module per concept."""
