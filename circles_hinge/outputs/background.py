"""Figures that need no TensorFlow, drawn by a second process while this one imports TensorFlow, trains
and draws the figures that need the model: a single run uses one of the machine's cores, and its
figures cost about as much as its 30 epochs.

The second process is forked before TensorFlow is imported, so it holds none of TensorFlow's threads
or state, and it draws with the same functions, fonts and matplotlib as this one: the same PNG bytes
(a test). Where forking would copy TensorFlow (a process that has already trained, such as a second
`circles_hinge.train`), where the machine has one core, or off Linux, the figures
are drawn here, in order, as they always were. The caller never depends on which: `submit` returns
a future either way, and an error in the second process is raised here, by `wait`.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor


def _stop_figure(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds the figure: a file half-written is removed (write_atomic)


def _start_worker(parent: int) -> None:
    """Ctrl-C reaches every process of the terminal's group: this one leaves the answer to the process
    that owns the run folder, which stops it with SIGTERM (`FigureWorker.__exit__`) and marks the
    folder interrupted. And it never outlives that process: were the run stopped before the pool
    could say goodbye (Ctrl-C within the fork itself, or SIGKILL), it would otherwise wait for work
    forever."""
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_figure)  # not the run's own handler, inherited by the fork

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def in_thread(work: Callable[[], object]) -> None:
    """Run `work` in a thread of this process, such as importing the libraries of figures drawn here
    later: started as training begins, it runs while TensorFlow's kernels do (they release Python's
    lock), on the core the training leaves idle. An error is left to whoever needs the result (an
    import that fails is raised again where the module is used)."""
    import threading

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - see the docstring
            pass

    threading.Thread(target=run, name="circles-hinge background", daemon=True).start()


def can_fork() -> bool:
    """Whether a second process would be both clean and useful here: on Linux (macOS' system libraries
    are not safe to use after a fork, which is why Python spawns there), before TensorFlow, with a
    core to spare."""
    return sys.platform.startswith("linux") and "tensorflow" not in sys.modules and (os.cpu_count() or 1) > 1


class FigureWorker:
    """`with FigureWorker() as figures: figures.submit(plot, path, ...)`, then `figures.wait()`."""

    def __init__(self, background: bool | None = None):
        self.background = can_fork() if background is None else background
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future] = []

    def __enter__(self) -> FigureWorker:
        if self.background:
            import multiprocessing

            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self

    def submit(self, draw: Callable[..., object], *args, **kwargs) -> Future:
        """Draw in the second process (the first call forks it), or here and now."""
        if self._pool is not None:
            future = self._pool.submit(draw, *args, **kwargs)
        else:
            future = Future()
            future.set_result(draw(*args, **kwargs))
        self._futures.append(future)
        return future

    def wait(self) -> None:
        """Every figure submitted so far is written (an error drawing one is raised here)."""
        for future in self._futures:
            future.result()

    def __exit__(self, kind, error, trace) -> None:
        if self._pool is None:
            return
        if kind is not None:  # an error or Ctrl-C: stop the figure being drawn (at 1,000x the default
            # size the data figure alone takes seconds), and begin no other
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                if process.is_alive():
                    os.kill(process.pid, signal.SIGTERM)
        # the second process gone before the folder says what was written: the record is the truth,
        # and no process outlives the run
        self._pool.shutdown(wait=True, cancel_futures=True)
