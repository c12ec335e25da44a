"""Adapters: the edges that read files, talk to databases and to the network."""
