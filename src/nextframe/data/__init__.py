"""Datasets: the procedural Moving Leaves generator, clip storage, and reading and writing frames."""
