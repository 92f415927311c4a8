"""Classification: embeddings (transformers), factor/sentiment heads, rules, attribution."""
