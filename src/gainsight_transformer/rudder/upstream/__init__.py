"""Sharing rudder-server's one transformer address with a stock rudder-transformer.

rudder-server sends every transformer call (all destinations, user transformations, sources,
tracking plans, `/features`) to `DEST_TRANSFORM_URL`. With `UPSTREAM_TRANSFORMER_URL` set, this
service answers its own destinations' routes and forwards everything else there unchanged:
`routing` decides which is which, `forward` is the reverse proxy, `features` merges the two
capability documents.
"""
