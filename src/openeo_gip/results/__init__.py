"""Results: the one way a process graph becomes files, used by ``POST /result`` and by batch jobs.

``pipeline.py`` takes a process from evaluation to written files: what to write (the graph's
``save_result`` calls, or the value in the default format), computing each value on the Dask cluster
within a deadline or until a cancel (``compute.py``), writing it with ``formats``, and copying the files
into the user's workspace where ``export_workspace`` asked. The HTTP view keeps only HTTP, the job runner
only a job's status and progress.
"""
