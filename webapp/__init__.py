"""The Gradio app: UI code only. It calls the library (assistant, ingest, vectorstore)."""
