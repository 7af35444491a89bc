# The fleet-level token cache's tests start a real redis-server (plain and TLS) on loopback.
APT_PACKAGES += redis-server
