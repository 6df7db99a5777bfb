"""openEO processes: one function per process, grouped by family, registered with ``@process``."""
