"""The run catalogue: a durable, cross-source copy of run summaries and settled task lists.

Knows no GraphQL. `database` opens and migrates, `store` writes, `queries` reads, `sync` keeps
it fresh within a share of each upstream quota, `service` ties them to the app's lifetime.
"""
