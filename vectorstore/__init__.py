"""Where chunks live: embeddings, the Chroma collection, the article store and the lexical index."""
