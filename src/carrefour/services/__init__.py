"""Use cases: one module per concept; each function takes a unit of work and commits once."""
