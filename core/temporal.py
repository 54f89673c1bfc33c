"""Temporal client connection. The worker is assembled in `bootstrap.worker`."""
from temporalio.client import Client


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace)
