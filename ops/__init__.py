"""Operations tooling: start the real stack on free ports (`stack`), drive load at it (`load`),
and the full-stack benchmark behind `make bench` (`bench`).

It lives outside `tests/` so benchmarks, fault drills and the end-to-end fixture share one way
of starting the three services, and outside `bot/`/`actions/` because none of it ships.
"""
