"""Workflows over the store and the carriers. No Typer, no Rich: usable as a library."""
