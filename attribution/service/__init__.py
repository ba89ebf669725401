"""The service: the pipeline (the Python API) and the job scheduler."""
