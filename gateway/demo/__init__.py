"""`gateway serve --demo`: the embedded emulator with a running clock, a kept cursor key, and a
banner whose examples answer (see `examples`, `state`, `banner`)."""
