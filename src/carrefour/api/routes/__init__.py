"""One route module per concept."""
