"""gainsight-transformer: a drop-in RudderStack transformer for the Gainsight CS destination."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gainsight-transformer")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
