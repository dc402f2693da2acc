"""One module per resource; routes parse, call the core, shape the response."""
