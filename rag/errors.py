"""The project's exceptions, each carrying how the edges report it.

The CLI maps ``exit_code`` to the process exit status and the API maps
``http_status`` to the response status, so the core never imports either edge.
"""

from __future__ import annotations


class RagError(Exception):
    """Base of every expected failure: a one-line message, never a traceback."""

    exit_code = 1
    http_status = 500


class ConfigError(RagError):
    """A setting is missing, malformed or contradicts another."""

    exit_code = 2
    http_status = 500


class InputError(RagError):
    """The user's input (a question, a file, a request) cannot be used."""

    exit_code = 2
    http_status = 400


class NotFoundError(RagError):
    """A named document or collection does not exist."""

    exit_code = 3
    http_status = 404


class LoaderError(InputError):
    """One file could not be read as an article; ingestion skips it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class InvalidUrlError(InputError):
    """A URL that names no web page to fetch: another scheme than http(s), no host, or
    credentials in it (they would be stored, listed and cited with the document)."""


class UrlRefusedError(InputError):
    """The URL's host resolves to an address the server may not reach (loopback, private,
    link-local, cloud metadata...): 403, since fetching it would act for the caller
    inside the server's network."""

    http_status = 403


class FetchError(LoaderError):
    """A web page or feed could not be fetched or used (unreachable, an HTTP error, too
    many redirects): the upstream's failure, so 502; one feed entry's is a skipped line."""

    http_status = 502


class FetchTimeoutError(FetchError):
    """The page did not arrive in full within the fetch deadline."""

    http_status = 504


class FetchTooLargeError(FetchError):
    """The page is larger than the fetch size limit."""

    http_status = 413


class IndexLockedError(RagError):
    """Another process is writing the index right now."""

    exit_code = 4
    http_status = 409


class EmbedderMismatchError(RagError):
    """The collection was built by another embedding model or dimension."""

    exit_code = 5
    http_status = 500


class StoreUnavailableError(RagError):
    """The vector store cannot be reached or opened."""

    exit_code = 6
    http_status = 503


class LLMUnavailableError(RagError):
    """The language model server is down, timed out or answered garbage."""

    exit_code = 7
    http_status = 503


class StorageError(RagError):
    """The data directory cannot be written (read-only, disk full)."""

    exit_code = 8
    http_status = 507
