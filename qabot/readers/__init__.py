"""One reader per file format; each turns a file into `ExtractedText` and is registered in `qabot.sources.READERS`."""
