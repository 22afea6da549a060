"""qabot: answer questions from a folder of documents by quoting them, with exact citations.

Importing the package is cheap on purpose: the heavy parts (torch, FAISS, discord) are imported
by the functions that need them, so `qabot --help` and the query path start fast.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
