"""What a person looks at: figures, the GIF, Markdown summaries and the HTML pages, drawn from results
the pipelines hand over (or read from a folder). Imports the engine, the store and the vocabulary."""
