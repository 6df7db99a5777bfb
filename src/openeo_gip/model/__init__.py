"""The data model every layer shares: the values that travel between processes (cubes, arrays, callbacks)."""
