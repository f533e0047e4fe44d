"""Operating the stack: shared stores, start-up, load and fault drills (not imported by the services)."""
