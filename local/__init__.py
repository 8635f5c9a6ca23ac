"""The platform on one machine: listener, durable frame queue, in-process decode and rule handlers, sqlite store.

`local` is the single-machine composition root (STYLE.md §7): it may import every package; nothing imports it.
"""
