"""The notebook client shared by `cellcourse run`, `cellcourse grade` and the notebook tests."""

import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

from cellcourse.execution import notebook_client_class


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def test_is_a_notebook_client_that_runs_cells_and_keeps_outputs():
    client_class = notebook_client_class()
    assert issubclass(client_class, NotebookClient)
    nb = _notebook("x = 6 * 7", "print(x)")
    notebook_client_class()(nb, timeout=60, kernel_name="python3").execute()
    assert nb.cells[1].outputs[0]["text"] == "42\n"


def test_a_cell_over_its_time_limit_stops_soon_after_the_limit():
    nb = _notebook("import time; time.sleep(30)")
    start = time.monotonic()
    with pytest.raises(CellTimeoutError):
        notebook_client_class()(nb, timeout=2, kernel_name="python3").execute()
    assert time.monotonic() - start < 25  # the 30-s cell was interrupted, not waited for
