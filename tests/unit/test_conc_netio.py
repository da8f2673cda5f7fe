"""The SDK clients' asyncio network backend: the same answers and the same errors as
httpcore's ``anyio`` backend, over plain TCP and TLS, and no ``anyio`` on the way."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx2
import openai
import pytest

from orchestration_kernel.providers.netio import use_asyncio_backend
from orchestration_kernel.providers.shards import sdk_http_client

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def _read_head(reader: asyncio.StreamReader) -> bool:
    """Read one request head (these tests send no bodies); False at EOF."""
    try:
        await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return False
    return True


def _transport(backend: str, verify: ssl.SSLContext | bool = True) -> httpx2.AsyncHTTPTransport:
    transport = httpx2.AsyncHTTPTransport(verify=verify)
    if backend == "asyncio":
        assert use_asyncio_backend(transport)
    return transport


async def _serve(handler: Handler, tls: ssl.SSLContext | None = None) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)
    return server, server.sockets[0].getsockname()[1]


def _answering(connections: list[int]) -> Handler:
    """A server handler that answers every request on a connection, counting connections."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while await _read_head(reader):
            writer.write(OK)
        writer.close()

    return handler


BACKENDS = pytest.mark.parametrize("backend", ["anyio", "asyncio"])


@BACKENDS
def test_keep_alive_reuses_one_connection(backend: str) -> None:
    connections: list[int] = []

    async def go() -> list[str]:
        server, port = await _serve(_answering(connections))
        async with server, httpx2.AsyncClient(transport=_transport(backend)) as client:
            return [(await client.get(f"http://127.0.0.1:{port}/")).text for _ in range(3)]

    assert asyncio.run(go()) == ["ok", "ok", "ok"]
    assert len(connections) == 1


@BACKENDS
def test_an_idle_connection_the_server_closed_is_not_reused(backend: str) -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        if await _read_head(reader):
            writer.write(OK)  # keep-alive promised, then closed once idle
            await writer.drain()
        writer.close()

    async def go() -> list[str]:
        server, port = await _serve(handler)
        async with server, httpx2.AsyncClient(transport=_transport(backend)) as client:
            first = (await client.get(f"http://127.0.0.1:{port}/")).text
            await asyncio.sleep(0.05)  # the server's FIN arrives while the connection idles
            return [first, (await client.get(f"http://127.0.0.1:{port}/")).text]

    assert asyncio.run(go()) == ["ok", "ok"]
    assert len(connections) == 2


@BACKENDS
def test_a_refused_connection_is_a_connect_error(backend: str) -> None:
    async def go() -> None:
        server, port = await _serve(lambda r, w: asyncio.sleep(0))
        server.close()
        await server.wait_closed()
        async with httpx2.AsyncClient(transport=_transport(backend)) as client:
            await client.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(httpx2.ConnectError):
        asyncio.run(go())


@BACKENDS
def test_a_silent_server_is_a_read_timeout(backend: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async def go() -> None:
        server, port = await _serve(handler)
        timeout = httpx2.Timeout(5.0, read=0.1)
        async with server, httpx2.AsyncClient(transport=_transport(backend), timeout=timeout) as c:
            await c.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(httpx2.ReadTimeout):
        asyncio.run(go())


@BACKENDS
def test_a_body_cut_short_is_a_protocol_error(backend: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart")
        await writer.drain()
        writer.close()

    async def go() -> None:
        server, port = await _serve(handler)
        async with server, httpx2.AsyncClient(transport=_transport(backend)) as client:
            await client.get(f"http://127.0.0.1:{port}/")

    with pytest.raises(httpx2.RemoteProtocolError):
        asyncio.run(go())


def _certificate(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1, made now: (server context, client context)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


@BACKENDS
def test_https_answers_and_an_untrusted_certificate_is_a_connect_error(
    backend: str, tmp_path: Path
) -> None:
    server_tls, client_tls = _certificate(tmp_path)

    async def go(verify: ssl.SSLContext | bool) -> str:
        server, port = await _serve(_answering([]), tls=server_tls)
        async with server, httpx2.AsyncClient(transport=_transport(backend, verify)) as client:
            answer = await client.get(f"https://127.0.0.1:{port}/")
            return answer.text + (await client.get(f"https://127.0.0.1:{port}/")).text

    assert asyncio.run(go(client_tls)) == "okok"
    with pytest.raises(httpx2.ConnectError):
        asyncio.run(go(True))  # the system's roots do not know this certificate


def test_the_sdk_clients_reach_the_network_without_anyio(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("anyio.connect_tcp was used")

    monkeypatch.setattr(anyio, "connect_tcp", refuse)

    async def go() -> str:
        server, port = await _serve(_answering([]))
        async with server, sdk_http_client(openai, httpx2) as client:
            return (await client.get(f"http://127.0.0.1:{port}/")).text

    assert asyncio.run(go()) == "ok"


def test_a_name_whose_first_address_never_answers_connects_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Happy eyeballs, as anyio's connect has it: the second address is tried while the
    first still hangs (anyio resolves names elsewhere, so only our backend is run)."""
    import socket

    # A listener whose accept queue is full drops further SYNs: connecting to it hangs.
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(0)
    fillers = [socket.socket() for _ in range(2)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(hanging.getsockname())
    dead_port = hanging.getsockname()[1]

    async def go() -> str:
        server, port = await _serve(_answering([]))
        real = asyncio.base_events.BaseEventLoop.getaddrinfo

        async def two_addresses(self: object, host: object, *args: object, **kw: object) -> object:
            if host != "dual.test":
                return await real(self, host, *args, **kw)  # type: ignore[arg-type]
            tcp = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
            return [(*tcp, ("127.0.0.1", dead_port)), (*tcp, ("127.0.0.1", port))]

        monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", two_addresses)
        timeout = httpx2.Timeout(5.0, connect=3.0)
        async with (
            server,
            httpx2.AsyncClient(transport=_transport("asyncio"), timeout=timeout) as c,
        ):
            return (await c.get(f"http://dual.test:{port}/")).text

    try:
        assert asyncio.run(go()) == "ok"
    finally:
        for s in [*fillers, hanging]:
            s.close()
