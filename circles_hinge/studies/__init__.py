"""The pipelines: one run, a seed study, a comparison and a sweep, the door that checks a request
before any of them starts, and what a request will cost. Imports every layer below."""
