"""Synthetic population: valid NISS, memberships, careers, vouchers. Seeded and scalable."""
