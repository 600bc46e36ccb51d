"""What higher apps add to a customer's export and erasure: crm owns the lists, higher apps fill them.

crm sits below communities and chats, so it never reads their tables. Instead each of them registers, from
its `AppConfig.ready()` (in its `crm_hooks.py`):

- an export section: `name -> fn(customer) -> JSON-ready data`, shown under `name` in the export, in the
  order the sections were registered (app order in INSTALLED_APPS);
- an erase step: `name -> fn(customer, actor)` that removes or anonymises that app's personal data; it runs
  inside the erase transaction, after crm has cleared its own rows.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

ExportSection = Callable[[Any], Any]
EraseStep = Callable[[Any, Any], None]

_export_sections: dict[str, ExportSection] = {}
_erase_steps: dict[str, EraseStep] = {}


def _register(registry: dict, name: str, fn: Callable) -> Callable:
    if name in registry and registry[name] is not fn:
        raise ValueError(f"{name!r} is already registered.")
    registry[name] = fn
    return fn


def export_section(name: str):
    """Decorator: `fn(customer)` returns this section of the customer's export."""
    return lambda fn: _register(_export_sections, name, fn)


def erase_step(name: str):
    """Decorator: `fn(customer, actor)` forgets the customer in one app, inside the erase transaction."""
    return lambda fn: _register(_erase_steps, name, fn)


def export_sections() -> list[tuple[str, ExportSection]]:
    return list(_export_sections.items())


def erase_steps() -> list[tuple[str, EraseStep]]:
    return list(_erase_steps.items())


def export_time(value: datetime | None) -> str | None:
    """How every time in an export is written: ISO 8601 UTC with a Z."""
    return value.isoformat().replace("+00:00", "Z") if value else None
