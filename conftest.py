"""Test-session setup shared by the unit tests and the notebooks nbval executes."""

from cellcourse.config import absolute_path_variables


def pytest_configure(config):
    # Kernels started by nbval run in solutions/, so relative data paths must be made
    # absolute before any kernel starts (they inherit this process's environment).
    absolute_path_variables()
