"""The exceptions xrd raises: one hierarchy under ``XrdError``.

Every error of the Rust crates reaches Python as one of these, chosen by one match over the
crates' errors (``xrd-py/src/errors.rs``); each is also a subclass of the built-in exception a
Python user would catch, so ``except FileNotFoundError`` and ``except ValueError`` keep working:

- ``XrdError``: the base of all of them.
- ``InvalidInputError`` (``ValueError``): bad input: NaN or non-monotonic 2θ, an unknown phase
  or wavelength, a shape mismatch, a pattern that cannot be refined.
  - ``InvalidParameterError``: a hyper-parameter or option out of range (its name is in the
    message).
  - ``FormatError``: a malformed, truncated or unrecognised file.
  - ``FitError``: a refinement the data cannot decide (parameters they cannot tell apart).
- ``XrdFileNotFoundError`` (``FileNotFoundError``), ``XrdPermissionError``
  (``PermissionError``), ``XrdOSError`` (``OSError``): a file that could not be read or written.
- ``CancelledError``: a job stopped before it finished (what it already wrote is kept: a series
  resumes from it).

>>> import xrd
>>> try:
...     xrd.read("no_such_file.xy")
... except xrd.XrdFileNotFoundError as e:
...     isinstance(e, FileNotFoundError) and isinstance(e, xrd.XrdError)
True
"""

from __future__ import annotations


class XrdError(Exception):
    """The base of every exception xrd raises."""


class InvalidInputError(XrdError, ValueError):
    """Bad input: values, shapes, names or settings that xrd cannot work with."""


class InvalidParameterError(InvalidInputError):
    """A hyper-parameter or option out of range."""


class FormatError(InvalidInputError):
    """A malformed, truncated or unrecognised file."""


class FitError(InvalidInputError):
    """A refinement the data cannot decide (parameters they cannot tell apart)."""


class XrdOSError(XrdError, OSError):
    """A file that could not be read or written."""


class XrdFileNotFoundError(XrdOSError, FileNotFoundError):
    """A file that does not exist."""


class XrdPermissionError(XrdOSError, PermissionError):
    """A file that may not be read or written."""


class CancelledError(XrdError):
    """A job stopped before it finished."""


__all__ = [
    "CancelledError",
    "FitError",
    "FormatError",
    "InvalidInputError",
    "InvalidParameterError",
    "XrdError",
    "XrdFileNotFoundError",
    "XrdOSError",
    "XrdPermissionError",
]
