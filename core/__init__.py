"""The bottom layer: settings, the records every layer shares, and the text rules (language,
words, numbers, sentences, tokens, [n] markers). It imports nothing of newsqa above it."""
