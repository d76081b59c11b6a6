"""The engine: data sets, the model, the replicated trainer and its batch order, the TensorFlow runtime,
boundary measures, statistics and the NumPy reference losses. Imports only the vocabulary above it."""
