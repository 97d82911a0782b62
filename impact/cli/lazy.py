"""The platform's modules, imported when a command first uses them.

Every ``impact`` command's module is imported to build the command line, but each command
needs only a part of the platform: importing all of it (the ledger, Kafka, ClickHouse,
the application's commands) was most of a command's start-up, 0.6 s of ``impact --help``.
``bootstrap`` and ``commands`` here stand for ``impact.bootstrap.bootstrap`` and
``impact.application.commands``, loaded on first use.
"""

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING


def lazy_module(name: str) -> ModuleType:
    """``name``, executed when one of its attributes is first read (``importlib.util.LazyLoader``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from impact.application import commands
    from impact.bootstrap import Platform
    from impact.settings import Settings
else:
    commands = lazy_module("impact.application.commands")


def bootstrap(settings: "Settings | None" = None) -> "Platform":
    """``impact.bootstrap.bootstrap``, imported on the first call."""
    from impact.bootstrap import bootstrap as build

    return build(settings)
