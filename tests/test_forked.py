"""Processes forked by the build: results come back whole, failures are told, nothing runs twice.

Each test forks from a fresh interpreter of its own (`run_alone`): the test process may have
other tests' threads, and a threaded process must not fork."""

from __future__ import annotations

from conftest import run_alone


def test_a_result_larger_than_a_pipe_comes_back_whole() -> None:
    out = run_alone(
        """
        import os
        from newsletter.forked import can_fork, fork, receive, send

        assert can_fork()
        big = bytes(range(256)) * 40_000  # 10 MB: many times what a pipe holds
        def child(inbox, results):
            send(results, (os.getpid(), receive(inbox)[::-1]))
        c = fork(child, inbox=True)
        c.send(big)
        pid, back = c.result()
        print(pid == c.pid, back == big[::-1])
        c.join()
        """
    )
    assert out.split() == ["True", "True"]


def test_a_child_that_dies_or_fails_sends_nothing() -> None:
    out = run_alone(
        """
        import os
        from newsletter.forked import fork, send

        def dies(inbox, results):
            os._exit(3)
        def fails(inbox, results):
            raise ValueError("no")
        for target in (dies, fails):
            c = fork(target)
            try:
                c.result()
                print("sent")
            except EOFError:
                print("nothing")
            c.join()
        """
    )
    assert out.split() == ["nothing", "nothing"]


def test_a_child_runs_none_of_the_parents_cleanup_and_writes_nothing_twice() -> None:
    """Whatever its function does, the child ends there: the parent's `finally` and `atexit`
    run once, and what the parent had buffered is written once."""
    out = run_alone(
        """
        import atexit
        from newsletter.forked import fork, send

        atexit.register(print, "atexit")
        print("buffered", end=" ")  # stdout is a pipe: held in the buffer at the fork
        def child(inbox, results):
            send(results, "done")
        try:
            c = fork(child)
            print(c.result())
            c.join()
        finally:
            print("finally")
        """
    )
    assert out.split() == ["buffered", "done", "finally", "atexit"]


def test_a_child_waiting_for_work_ends_when_it_will_get_none() -> None:
    """Its inbox gives EOF once the parent closes it (or ends): it never waits for ever."""
    out = run_alone(
        """
        import os
        from newsletter.forked import fork, receive, send

        def child(inbox, results):
            try:
                receive(inbox)
            except EOFError:
                send(results, "no work")
        c = fork(child, inbox=True)
        c.close_inbox()
        print(c.result())
        c.join()
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            print("all ended")
        """
    )
    assert out.split() == ["no", "work", "all", "ended"]


def test_a_killed_child_is_waited_for() -> None:
    out = run_alone(
        """
        import os
        from newsletter.forked import fork, receive

        c = fork(lambda inbox, results: receive(inbox), inbox=True)
        c.kill()
        c.join()
        c.join()  # twice: nothing left to wait for
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            print("all ended")
        """
    )
    assert out.split() == ["all", "ended"]


def test_a_child_is_done_when_its_result_can_be_read_without_waiting() -> None:
    out = run_alone(
        """
        import time
        from newsletter.forked import fork, receive, send

        c = fork(lambda inbox, results: send(results, receive(inbox)), inbox=True)
        print(c.done())  # it waits for its work
        c.send("back")
        for _ in range(1000):
            if c.done():
                break
            time.sleep(0.01)
        print(c.done(), c.result())
        c.join()
        print(c.done())  # nothing left to read: done
        """
    )
    assert out.split() == ["False", "True", "back", "True"]


def test_a_fork_that_fails_leaves_no_pipe_open() -> None:
    out = run_alone(
        """
        import os
        from newsletter import forked

        def refused():
            raise BlockingIOError(11, "Resource temporarily unavailable")

        before = sorted(os.listdir("/proc/self/fd"))
        forked.os.fork = refused
        try:
            forked.fork(lambda inbox, results: None, inbox=True)
        except OSError as e:
            print(type(e).__name__)
        print(sorted(os.listdir("/proc/self/fd")) == before)
        """
    )
    assert out.split() == ["BlockingIOError", "True"]


def test_work_larger_than_a_pipe_is_sent_without_waiting_for_its_reader() -> None:
    """An edit's work (Babel's answers, the email frames kept) goes to a process that is still
    importing: the pipe is made to hold it (on Linux, up to 1 MiB), so the build sends it and
    goes on; beyond that it waits, as for any pipe."""
    out = run_alone(
        """
        import os
        from newsletter.forked import receive, send

        r, w = os.pipe()
        os.set_blocking(w, False)  # a write the pipe cannot hold fails here instead of waiting
        work = {"answers": "x" * 300_000}
        send(w, work)
        print(receive(r) == work)
        try:
            send(w, "y" * 3_000_000)
        except BlockingIOError:
            print("waits")
        """
    )
    assert out.split() == ["True", "waits"]
