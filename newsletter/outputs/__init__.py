"""Everything the build WRITES from the model: feeds, email, text part, web pages, message."""
