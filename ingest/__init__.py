"""From sources (files, pages, feeds, exports) to cleaned articles and token-bounded chunks."""
