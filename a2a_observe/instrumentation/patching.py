"""Reversible monkey-patching with ``wrapt``, whatever the import order.

Three tools: post-import hooks (patch a module when the app imports it, or at once if it
already has), attribute wraps that remember what they replaced, and subclass wraps for
abstract methods users implement (``AgentExecutor.execute``), which must be wrapped on every
subclass, existing or defined later.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import wrapt

from a2a_observe.safety import report_internal_error

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]

_MARK = "__a2a_observe_wrapped__"


def is_wrapped(value: Any) -> bool:
    return bool(getattr(value, _MARK, False))


class _MarkedWrapper(wrapt.FunctionWrapper):  # type: ignore[type-arg]
    """A FunctionWrapper that says it is ours, so a class is never wrapped twice."""

    __a2a_observe_wrapped__ = True


class Patches:
    """Every patch one instrumentation applied, so ``uninstrument()`` can undo them all."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self.active = False

    # -- module hooks ----------------------------------------------------------------------
    def when_imported(self, module_name: str, patch: Callable[[ModuleType], None]) -> None:
        """Run ``patch`` now if ``module_name`` is loaded, else when it is first imported.

        wrapt cannot unregister a hook, so the hook checks ``active`` and does nothing once
        this set of patches has been undone.
        """

        def hook(module: ModuleType) -> None:
            if not self.active:
                return
            try:
                patch(module)
            except Exception as exc:  # noqa: BLE001
                report_internal_error(f"patching {module_name}", exc)

        if module_name in sys.modules:
            hook(sys.modules[module_name])
        else:
            wrapt.register_post_import_hook(hook, module_name)

    # -- attributes --------------------------------------------------------------------------
    def wrap(self, owner: Any, name: str, wrapper: Wrapper) -> None:
        """Replace ``owner.name`` by ``wrapper`` around it; undone by :meth:`undo`."""
        original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name)
        if original is None or is_wrapped(original):
            return
        had_own = not isinstance(owner, type) or name in owner.__dict__  # a module owns its names
        setattr(owner, name, _MarkedWrapper(original, wrapper))

        def undo() -> None:
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)

        self._undo.append(undo)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        """Set ``owner.name`` to ``value`` and remember the old value."""
        original = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, original))

    def wrap_subclasses(self, base: type, names: Iterable[str], wrapper: Wrapper) -> None:
        """Wrap ``names`` where each subclass of ``base`` defines them, now and in future.

        Only methods in a class's own ``__dict__`` are wrapped, so an override that calls
        ``super()`` gets two wrappers; the wrappers themselves skip the inner one.
        """
        method_names = tuple(names)

        def patch_class(cls: type) -> None:
            for name in method_names:
                if name in cls.__dict__ and not getattr(cls.__dict__[name], "__isabstractmethod__", False):
                    self.wrap(cls, name, wrapper)

        def walk(cls: type) -> None:
            sub: type
            for sub in cls.__subclasses__():
                patch_class(sub)
                walk(sub)

        walk(base)
        original_hook = base.__dict__.get("__init_subclass__")
        patches = self

        def __init_subclass__(cls: Any, /, **kwargs: Any) -> None:
            if original_hook is not None:
                original_hook.__get__(None, cls)(**kwargs)
            else:
                super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
            if patches.active:
                try:
                    patch_class(cls)
                except Exception as exc:  # noqa: BLE001
                    report_internal_error(f"patching subclass of {base.__name__}", exc)

        base.__init_subclass__ = classmethod(__init_subclass__)  # type: ignore[method-assign,assignment]

        def undo() -> None:
            if original_hook is not None:
                base.__init_subclass__ = original_hook  # type: ignore[method-assign]
            else:
                del base.__init_subclass__

        self._undo.append(undo)

    def undo(self) -> None:
        self.active = False
        while self._undo:
            action = self._undo.pop()
            try:
                action()
            except Exception as exc:  # noqa: BLE001
                report_internal_error("uninstrument", exc)
