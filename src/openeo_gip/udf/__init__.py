"""User-defined functions (UDFs): Python code of users, run only in separate, resource-limited processes.

``sandbox`` starts one child process per piece of a cube and reads its answer back without trusting it,
``child`` is the program that runs inside that process (``entry_points`` calls the user's code as the
openEO UDF API defines), ``wire`` the pickle-free format between both,
``blocks`` splits a cube into pieces and joins the answers, ``runtimes`` describes ``GET /udf_runtimes``.
"""
