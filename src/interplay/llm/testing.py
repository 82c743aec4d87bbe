"""A loopback OpenAI-compatible server for tests, examples and benchmarks.

A real HTTP server on 127.0.0.1 (standard library, one thread per connection)
speaking the chat-completions protocol, scripted per test::

    from interplay.llm.testing import LoopbackServer, Reply

    with LoopbackServer([Reply.error(429, retry_after=1), Reply.text("C")]) as server:
        model = load_model({"provider": "openai", "base_url": server.base_url,
                            "model": "loopback", "api_key_env": None})
        assert model.generate([{"role": "user", "content": "hi"}]).text == "C"
        assert server.calls == 2

The script is a queue of :class:`Reply` (or plain strings) answered in order;
when it is empty the ``default`` answers: a Reply, a string, or a function of
the :class:`ChatRequest` returning one (so a scripted "model" can read the
prompt, e.g. play tit for tat). Without a default, an exhausted script answers
HTTP 418 so a test that makes more calls than it scripted fails loudly.

Replies cover what real servers do: a correct or illegal answer, an empty
answer, malformed JSON content, a malformed response body, an error status with
or without ``Retry-After``, and a delay (past the client's timeout, if you like).
``supports_json_schema=False`` makes the server reject ``response_format`` with
HTTP 400, as many local servers do. Every request is logged (body and headers)
in :attr:`LoopbackServer.requests` so tests can check what was sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Use the constructors: ``Reply.text``, ``.error``, ..."""

    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    raw_body: bytes | None = None
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: top alternatives of the answer's first token, ``((token, logprob), ...)``: sent as
    #: ``choices[0].logprobs`` (the OpenAI / llama.cpp / vLLM shape) when the request asks for logprobs
    top_logprobs: tuple[tuple[str, float], ...] | None = None

    @classmethod
    def scored(cls, content: str, top_logprobs: Mapping[str, float]) -> Reply:
        """An answer whose first token's alternatives (token -> natural-log probability) come with it."""
        return cls(content=content, top_logprobs=tuple((str(t), float(v)) for t, v in top_logprobs.items()))

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0, prompt_tokens: int | None = None,
             completion_tokens: int | None = None) -> Reply:
        """A normal answer with this content."""
        return cls(content=content, delay=delay, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def choice(cls, option: str, *, delay: float = 0.0) -> Reply:
        """A structured-output answer ``{"choice": option}``."""
        return cls(content=json.dumps({"choice": option}), delay=delay)

    @classmethod
    def empty(cls) -> Reply:
        """An answer with empty content (as when a model stops at once)."""
        return cls(content="")

    @classmethod
    def null(cls) -> Reply:
        """An answer whose content is JSON null."""
        return cls(content=None)

    @classmethod
    def malformed_json(cls) -> Reply:
        """Content that starts as JSON and is not valid JSON."""
        return cls(content='{"choice": "C"')

    @classmethod
    def malformed_body(cls) -> Reply:
        """HTTP 200 whose body is not JSON at all."""
        return cls(raw_body=b'{"id": "chatcmpl-broken", "choices": [')

    @classmethod
    def error(cls, status: int, *, retry_after: float | str | None = None, message: str = "") -> Reply:
        """An error status (429, 500, 503, 400, 401, ...), optionally with Retry-After."""
        headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
        return cls(content=message or f"scripted error {status}", status=status, headers=headers)

    @classmethod
    def slow(cls, seconds: float, then: Reply | str = "") -> Reply:
        """Wait ``seconds`` before answering ``then``."""
        base = then if isinstance(then, Reply) else cls.text(then)
        return Reply(**{**base.__dict__, "delay": seconds})


@dataclass(frozen=True)
class ChatRequest:
    """A request the server received: its JSON body, headers (lower-case names) and arrival order."""

    index: int
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def last_user(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return str(m.get("content") or "")
        return ""

    @property
    def prompt(self) -> str:
        """All message contents, joined."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def options(self) -> list[str] | None:
        """The options of a constrained choice (JSON-schema enum, llama.cpp's json_object schema, or vLLM
        guided_choice), if any."""
        rf = self.body.get("response_format") or {}
        for schema in ((rf.get("json_schema") or {}).get("schema"), rf.get("schema")):  # json_schema, json_object
            if not isinstance(schema, dict):
                continue
            try:
                return list(schema["properties"]["choice"]["enum"])
            except (KeyError, TypeError):
                pass
        gc = self.body.get("guided_choice")
        return list(gc) if gc else None

    @property
    def wants_json(self) -> bool:
        return bool(self.body.get("response_format"))


Responder = Callable[[ChatRequest], "Reply | str"]


def _approx_tokens(text: str) -> int:
    return max(1, len(text.split())) if text else 0


class LoopbackServer:
    """A scripted OpenAI-compatible server on 127.0.0.1 (a free port); a context manager.

    Args:
        script: replies answered in order.
        default: what answers once the script is used up (Reply, str, or function of the request).
        supports_json_schema: if False, requests with ``response_format`` get HTTP 400.
        model: the model name reported back (``model_name``).
        port: the port to listen on (0: any free port).
    """

    def __init__(self, script: Iterable[Reply | str] = (), *, default: Reply | str | Responder | None = None,
                 supports_json_schema: bool = True, model: str = "loopback", port: int = 0) -> None:
        self._port = int(port)
        self._script: deque[Reply | str] = deque(script)
        self.default = default
        self.supports_json_schema = supports_json_schema
        self.model_name = model
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.in_flight = 0
        self.max_in_flight = 0

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> LoopbackServer:
        handler = _make_handler(self)
        server = _Server(("127.0.0.1", self._port), handler)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="interplay-loopback", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the loopback server is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def model_config(self, **extra: Any) -> dict[str, Any]:
        """A model mapping for :func:`interplay.llm.load_model` pointing at this server."""
        return {"provider": "openai", "base_url": self.base_url, "model": self.model_name, "api_key_env": None, **extra}

    def model(self, *, cache: Any = None, budget: Any = None, record: Any = None, **config: Any) -> Any:
        """A model for this server (OpenAI backend) with quick retries: backoff 10-50 ms, timeout 5 s.

        ``config`` overrides fields of the model mapping (``max_concurrency``, ``timeout``,
        ``structured``, ...); ``cache``, ``budget`` and ``record`` go to :func:`load_model`.
        """
        from interplay.llm.config import load_model

        fast = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0}
        return load_model(self.model_config(**{**fast, **config}), cache=cache, budget=budget, record=record)

    # -- script --------------------------------------------------------------------
    def push(self, *replies: Reply | str) -> None:
        """Append replies to the script."""
        with self._lock:
            self._script.extend(replies)

    @property
    def calls(self) -> int:
        """Chat-completion requests received so far."""
        with self._lock:
            return len(self.requests)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def _next_reply(self, req: ChatRequest) -> Reply:
        with self._lock:
            item = self._script.popleft() if self._script else None
        if item is None:
            default = self.default
            if default is None:
                return Reply.error(418, message="loopback script exhausted: the test made more calls than scripted")
            item = default(req) if callable(default) else default
        return item if isinstance(item, Reply) else Reply.text(item)

    def _respond(self, path: str, body: dict[str, Any], headers: Mapping[str, str]) -> tuple[int, dict, bytes]:
        with self._lock:
            req = ChatRequest(index=len(self.requests), path=path, body=body,
                              headers={k.lower(): v for k, v in headers.items()})
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if body.get("response_format") and not self.supports_json_schema:
                reply = Reply.error(400, message="response_format is not supported by this server")
            else:
                reply = self._next_reply(req)
            if reply.delay > 0:
                time.sleep(reply.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        out_headers = dict(reply.headers)
        if reply.raw_body is not None:
            return reply.status, out_headers, reply.raw_body
        if reply.status != 200:
            err = {"error": {"message": reply.content, "type": "scripted", "code": reply.status}}
            return reply.status, out_headers, json.dumps(err).encode()
        content = reply.content
        pt = reply.prompt_tokens if reply.prompt_tokens is not None else _approx_tokens(req.prompt)
        ct = reply.completion_tokens if reply.completion_tokens is not None else _approx_tokens(content or "")
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": reply.finish_reason}
        if reply.top_logprobs is not None and req.body.get("logprobs"):
            top = [{"token": t, "logprob": v, "bytes": list(t.encode())} for t, v in reply.top_logprobs]
            first = top[0] if top else {"token": content or "", "logprob": 0.0, "bytes": []}
            choice["logprobs"] = {"content": [{**first, "top_logprobs": top}]}
        payload = {
            "id": f"chatcmpl-loopback-{req.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": [choice],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }
        return 200, out_headers, json.dumps(payload).encode()


class _Server(ThreadingHTTPServer):
    # A listen backlog of 5 (the default) drops connection attempts when many clients
    # connect at once, and a dropped SYN costs the client a 1 s retransmission.
    request_queue_size = 1024
    daemon_threads = True
    block_on_close = False


def _make_handler(owner: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def setup(self) -> None:
            super().setup()
            # no Nagle: a small response must not wait for the client's delayed ACK (~40 ms)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self._headers_buffer.append(b"\r\n")  # end of headers, sent with the body in one write
                self.wfile.write(b"".join(self._headers_buffer) + body)
                self._headers_buffer = []
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                body = {"object": "list", "data": [{"id": owner.model_name, "object": "model", "owned_by": "loopback"}]}
                self._send(200, {}, json.dumps(body).encode())
            else:
                self._send(404, {}, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {}, b'{"error": {"message": "only /chat/completions is served"}}')
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, {}, b'{"error": {"message": "request body is not JSON"}}')
                return
            status, headers, out = owner._respond(self.path, body, dict(self.headers.items()))
            self._send(status, headers, out)

    return Handler


_PLAYED = re.compile(r"Round \d+: you played (\S+?), (?:.+?) played (\S+?)[;,]")


def tit_for_tat_answer(req: ChatRequest) -> str:
    """A scripted "model" for demos: copies the opponent's last move as read from an interplay prompt.

    Cooperative talk for cheap-talk prompts; the first legal action on the first round.
    """
    if "message to" in req.last_user:
        return "I will cooperate as long as you do."
    moves = _PLAYED.findall(req.last_user)
    if moves:
        return f"You played {moves[-1][1]} last round, so I answer in kind.\nACTION: {moves[-1][1]}"
    legal = re.search(r"Your possible actions: ([^\n]+?)\.?\n", req.prompt)  # the system prompt's list
    first = legal.group(1).split(",")[0].strip() if legal else "C"
    return f"I open by cooperating.\nACTION: {first}"


def serve(argv: list[str] | None = None) -> None:
    """``python -m interplay.llm.testing [--port P] [--delay S] [--policy P] [--answer TEXT]``.

    Serves until interrupted. ``--policy constant`` answers ``--answer`` (default
    ``ACTION: C``) to every request (a JSON ``{"choice": first option}`` when structured
    output is asked); ``--policy tit-for-tat`` reads interplay's prompt and copies the
    opponent's last move. Every answer comes after ``--delay`` seconds. Prints the base
    URL on its first line, for scripts and benchmarks.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m interplay.llm.testing", description=serve.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--policy", choices=["constant", "tit-for-tat"], default="constant")
    parser.add_argument("--answer", default="ACTION: C")
    args = parser.parse_args(argv)

    def answer(req: ChatRequest) -> Reply:
        if req.options:
            return Reply.choice(req.options[0], delay=args.delay)
        text = tit_for_tat_answer(req) if args.policy == "tit-for-tat" else args.answer
        return Reply.text(text, delay=args.delay)

    server = LoopbackServer(default=answer, port=args.port, model="loopback").start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    serve()
