"""Evaluation: protocols, the unit of work (one training), its results, their scores and
statistics, and the executors that run units."""
