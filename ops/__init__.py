"""Operations tooling: the shared stores for scaling out (`stores`), the real stack on free ports
(`stack`), load against it (`load`), and the full-stack benchmark behind `make bench` (`bench`).

It lives outside `tests/` so benchmarks, fault drills and the end-to-end fixture share one way
of starting the services, and outside `bot/`/`actions/` because none of it ships.
"""
