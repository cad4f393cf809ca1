"""The one seam to the network (see transport.py for the Protocol, asyncssh_transport.py for SSH).

Only modules named asyncssh_* and errormap.py import asyncssh; this package's __init__ stays
empty so that importing the Transport Protocol or FakeTransport does not load asyncssh.
"""
