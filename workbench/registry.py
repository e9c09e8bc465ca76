"""Plugin discovery through the ``workbench.plugins`` entry-point group, and the kinds they declare."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType

from workbench.artefacts import ArtefactKind
from workbench.plugin_api import CASE_FIGURE, Plugin

GROUP = "workbench.plugins"


class RegistryError(Exception):
    """A plugin that cannot be loaded or a kind declared twice in different ways."""


@dataclass(frozen=True)
class Registry:
    """The plugins found, in a stable order, and every artefact kind they declare."""

    plugins: tuple[type[Plugin], ...]
    kinds: dict[str, ArtefactKind]
    sources: dict[str, str]  # plugin name -> entry point "name = value"

    def select(self, names: Iterable[str] | None) -> tuple[type[Plugin], ...]:
        """The plugins called ``names`` (all when None); RegistryError for an unknown name."""
        if names is None:
            return self.plugins
        wanted = list(names)
        known = {p.name: p for p in self.plugins}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise RegistryError(f"unknown plugin(s): {', '.join(missing)} (see `workbench plugins list`)")
        return tuple(known[n] for n in wanted)

    def kind(self, name: str) -> ArtefactKind | None:
        """The declaration of kind ``name``, if any plugin declares it."""
        return self.kinds.get(name)


def _plugins_in(obj: object) -> list[type[Plugin]]:
    if inspect.isclass(obj) and issubclass(obj, Plugin):
        return [obj]
    if isinstance(obj, ModuleType):
        listed = getattr(obj, "PLUGINS", None)
        if listed is None:
            raise RegistryError(f"module {obj.__name__} has no PLUGINS tuple")
        return [p for item in listed for p in _plugins_in(item)]
    raise RegistryError(f"{obj!r} is neither a Plugin subclass nor a module with PLUGINS")


@cache
def load_registry() -> Registry:
    """Load every plugin registered under the entry-point group (cached per process)."""
    plugins: dict[str, type[Plugin]] = {}
    sources: dict[str, str] = {}
    kinds: dict[str, ArtefactKind] = {CASE_FIGURE.name: CASE_FIGURE}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            found = _plugins_in(ep.load())
        except RegistryError:
            raise
        except Exception as exc:
            raise RegistryError(f"plugin entry point {ep.name} = {ep.value}: cannot load ({exc})") from exc
        for plugin in found:
            if not plugin.name:
                raise RegistryError(f"{plugin.__module__}.{plugin.__qualname__} has no name")
            if plugin.name in plugins and plugins[plugin.name] is not plugin:
                raise RegistryError(f"two plugins are called {plugin.name!r}")
            plugins[plugin.name] = plugin
            sources[plugin.name] = f"{ep.name} = {ep.value}"
            for kind in plugin.kinds:
                if kind.name in kinds and kinds[kind.name] != kind:
                    raise RegistryError(f"artefact kind {kind.name!r} is declared twice, differently")
                kinds[kind.name] = kind
    ordered = tuple(sorted(plugins.values(), key=lambda p: p.name))
    return Registry(ordered, dict(sorted(kinds.items())), sources)
