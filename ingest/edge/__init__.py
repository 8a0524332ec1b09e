"""`smartmfg-edge`: the factory edge gateway that delivers equipment readings to the platform.

Readings go through an on-disk outbox first, so nothing is lost while the platform is unreachable, and every
batch carries a stable id the platform deduplicates on, so a retry never writes a reading twice.
"""
