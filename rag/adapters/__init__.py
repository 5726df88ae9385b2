"""Everything that talks to a library or process outside the project: the Chroma store
and the manifest, embedders, the OpenAI-compatible client, the llama.cpp server."""
