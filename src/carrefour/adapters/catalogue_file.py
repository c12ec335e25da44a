"""Reading the reference catalogue from its TOML data file.

By default the catalogue shipped in the package (``carrefour/data/catalogue.toml``); an operator
may point to a replacement file (real enterprise numbers and committee decisions instead of the
placeholders).
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from carrefour.domain.catalogue import Catalogue, catalogue_from_mapping

__all__ = ["PACKAGED_CATALOGUE", "default_catalogue", "load_catalogue", "load_catalogue_data"]

#: The resource name of the packaged catalogue inside ``carrefour.data``.
PACKAGED_CATALOGUE = "catalogue.toml"


def load_catalogue_data(path: Path | None = None) -> dict[str, Any]:
    """The catalogue file as a mapping, checked; ``None`` reads the packaged one.

    Raises ``ValueError`` for a file that is not valid TOML or not a valid catalogue, naming
    the file.
    """
    if path is None:
        source = f"packaged carrefour/data/{PACKAGED_CATALOGUE}"
        text = resources.files("carrefour").joinpath("data", PACKAGED_CATALOGUE).read_text("utf-8")
    else:
        source = str(path)
        text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
        catalogue_from_mapping(data)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise ValueError(f"catalogue {source}: {error}") from error
    return data


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check a catalogue file; ``None`` reads the packaged one."""
    return catalogue_from_mapping(load_catalogue_data(path))


@functools.cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue, read once per process."""
    return load_catalogue()
