"""Registry scale: the same specs on data larger than memory.

Modules
-------
frames
    ``score`` and ``validate_responses`` on a Dask DataFrame (``score_dask``,
    ``validate_dask``): a lazy Dask DataFrame, partition by partition, with the failures of
    every partition (and duplicates across partitions) collected into one
    ``ResponseValidationError``.
summary
    ``compute_registry_summary``: per site (practice) and period, the clients with a pre and
    a post, the shares reliably improved and deteriorated and the responder rates with Wilson
    intervals, by groupby on a Dask or a pandas DataFrame.
stream
    The streaming path of ``past-outcomes score``: CSV and Parquet files read, validated,
    scored and written chunk by chunk in bounded memory.

Nothing is imported here: the package's top level loads each function lazily.
"""
