"""Evaluation: score generated texts on every registered metric (acceptability, diversity,
sentiment, and any other package's), pick the best decoding strategy, promote."""
