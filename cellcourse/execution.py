"""Running notebooks headless: the one notebook client the course uses everywhere.

``cellcourse run``, ``cellcourse grade`` and the test of the exercise notebooks all
execute notebooks through :func:`notebook_client_class`, so a fix to how cells are
waited for reaches all three.
"""

from __future__ import annotations

import time

__all__ = ["notebook_client_class"]


def notebook_client_class():
    """The nbclient ``NotebookClient`` class, made to wait for each cell's reply in short polls.

    nbclient waits for a cell's execute reply with one poll of the shell socket
    for the cell's whole time limit. After a cell that shows an ipywidget the
    wake-up of that poll is sometimes lost, and the reply is only noticed when
    the limit runs out (jupyter/nbclient#312): a graded notebook with a slider
    would then take its whole time limit. Polling in one-second steps notices
    the reply within a second. Written here because nbclient has no option for it.

    Returns
    -------
    type
        A subclass of ``nbclient.NotebookClient``, or the class itself if a future
        nbclient no longer has the method this overrides.
    """
    from queue import Empty

    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    if not hasattr(NotebookClient, "_async_poll_for_reply"):  # a future nbclient: use it as is
        return NotebookClient

    class _ShortPollClient(NotebookClient):
        async def _async_poll_for_reply(
            self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive
        ):
            import asyncio

            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = 1.0 if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    task_poll_kernel_alive.cancel()
                    await self._async_check_alive()  # DeadKernelError if it died
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Cell execution timed out", timeout, cell
                    )
                try:
                    msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=min(1.0, left)))
                except Empty:
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                try:
                    await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
                except (asyncio.TimeoutError, Empty):
                    task_poll_output_msg.cancel()  # outputs still on their way are dropped
                task_poll_kernel_alive.cancel()
                return msg

    return _ShortPollClient
