"""The data model every layer shares.

``values.py``: what travels between processes (``ArrayView``, ``Callback``, ``ProcessContext``,
``SaveRequest``); ``vectors.py``: how a vector data cube is represented; ``labels.py`` and ``dates.py``: how
labels and date-times are written out.
"""
