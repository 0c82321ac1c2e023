"""Evaluation: score generated texts on acceptability, diversity and sentiment."""
