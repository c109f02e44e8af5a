"""One module per measure; each `run` returns a Section for the summary and the report."""
