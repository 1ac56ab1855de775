"""bplint: a static bug finder for handwritten NumPy backpropagation code."""

__version__ = "0.1.0"
