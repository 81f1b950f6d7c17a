"""The register app: what a cashier sells on, on a machine of its own.

It keeps two kinds of data apart. `catalog.py` holds the point's catalog, settings, cashiers and hot
keys in `catalog.db`: a disposable cache of the server's data, rebuilt from the changes stream
whenever in doubt. The cashier's own work (receipts, shifts) is precious and lives in a store of its
own. `client.py` talks to the server's device API: activation, the changes stream, status reports.

Like any program that may run on another machine, it imports only `fiscal`, `protocol`, `money` and
`ids` of the project (`tests/test_architecture.py` checks it).
"""
