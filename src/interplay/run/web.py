"""The web pages of ``interplay serve``: people take seats in a run from a browser.

A Starlette app over a :class:`~interplay.agents.people.Hub`, served by uvicorn in a thread
beside the run. Plain HTML with a little JavaScript (in ``web_assets/``, every asset served
from here: no build step, no CDN).

* ``/`` - the experimenter's page (its secret travels in the URL *fragment*, which browsers
  never send, and then as a bearer header): the seats, which wait for a person, the run's
  units so far and its results, and each free seat's link;
* ``/seat/NAME#token=...`` - a participant's page: the token (again in the fragment, so it is
  in no request line and no server log) is exchanged once for a session cookie
  (``POST /api/seat/NAME/claim``); a wrong or used token gets 403. The experimenter can give a
  seat a new link (``POST /api/seat/NAME/reissue``; the old session stops working), for a
  person who lost their browser. The page then polls
  ``GET /api/seat/NAME/state`` and posts answers to ``POST /api/seat/NAME/answer``: a bad
  answer gets 422 and changes nothing, an answer to a question no longer open gets 409.
  A closed tab reopened in the same browser keeps its cookie and rejoins its seat.

uvicorn's access log is off; the server logs nothing about requests.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from interplay.agents.people import Hub, SeatRefused

ASSETS = Path(__file__).with_name("web_assets")
COOKIE = "interplay_seat"


def url_name(name: str) -> str:
    """A seat's name as a path segment, quoted as the page's ``encodeURIComponent`` quotes it."""
    from urllib.parse import quote

    return quote(name, safe="-_.!~*'()")


def _results_summary(run_dir: Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    try:
        res = json.loads((run_dir / "results.json").read_text())
    except (OSError, ValueError):
        return {"status": "starting"}
    meta = res.get("meta") or {}
    units = res.get("units") or {}
    out: dict[str, Any] = {"status": meta.get("status"), "kind": meta.get("kind"), "units": meta.get("units"),
                           "finished_units": sorted(units)[-50:]}
    rows = []
    for key, u in list(units.items())[-20:]:
        rec = (u.get("record", u) if isinstance(u, dict) else None)
        if isinstance(rec, dict) and "names" in rec and "totals" in rec:
            rows.append({"unit": key, "names": rec["names"], "totals": rec["totals"], "length": rec.get("length")})
    out["matches"] = rows
    for k in ("judge_accuracy", "shapley", "winner"):
        if k in res:
            out[k] = res[k]
    return out


def make_app(hub: Hub, run_dir: Path | None = None) -> Any:
    """The Starlette app of ``hub`` (``run_dir``: where the experimenter's page reads results)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route

    def _asset(name: str, media: str) -> Response:
        return FileResponse(ASSETS / name, media_type=media, headers={"Cache-Control": "no-store"})

    async def experimenter(request: Request) -> Response:
        return _asset("experimenter.html", "text/html")

    async def seat_page(request: Request) -> Response:
        if hub.get(request.path_params["name"]) is None:
            return Response("no such seat", status_code=404, media_type="text/plain")
        return _asset("seat.html", "text/html")

    async def asset(request: Request) -> Response:
        name = request.path_params["file"]
        media = {"js": "text/javascript", "css": "text/css"}.get(name.rsplit(".", 1)[-1])
        if media is None or "/" in name or not (ASSETS / name).is_file():
            return Response("not found", status_code=404, media_type="text/plain")
        return _asset(name, media)

    def _seat(request: Request) -> Any:
        s = hub.get(request.path_params["name"])
        if s is None:
            return None, JSONResponse({"error": "no such seat"}, status_code=404)
        return s, None

    async def _body(request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def claim(request: Request) -> Response:
        s, err = _seat(request)
        if err is not None:
            return err
        body = await _body(request)
        if body is None:
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        try:
            session = s.claim(str(body.get("token", "")))
        except SeatRefused as exc:
            return JSONResponse({"error": str(exc)}, status_code=403)
        resp = JSONResponse({"seat": s.name, "role": s.role})
        resp.set_cookie(COOKIE, session, path=f"/api/seat/{url_name(s.name)}", httponly=True, samesite="strict")
        return resp

    def _authorised(request: Request, s: Any) -> Response | None:
        try:
            s.check(request.cookies.get(COOKIE))
        except SeatRefused:
            return JSONResponse({"error": "this browser does not hold the seat (open the seat's link once)"},
                                status_code=403)
        return None

    async def state(request: Request) -> Response:
        s, err = _seat(request)
        if err is not None:
            return err
        if (denied := _authorised(request, s)) is not None:
            return denied
        s.seen()
        return JSONResponse(s.state())

    async def answer(request: Request) -> Response:
        s, err = _seat(request)
        if err is not None:
            return err
        if (denied := _authorised(request, s)) is not None:
            return denied
        body = await _body(request)
        if body is None:
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        ask_id = body.pop("id", None)
        if isinstance(ask_id, bool) or not isinstance(ask_id, int):
            return JSONResponse({"error": "the answer needs the question's integer `id`"}, status_code=422)
        s.seen()
        st = s.state()
        if st["ask"] is None or st["ask"]["id"] != ask_id:
            return JSONResponse({"error": "no such question is open (answered, timed out, or the run moved on)"},
                                status_code=409)
        try:
            s.answer(ask_id, body)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse({"ok": True})

    def _admin(request: Request) -> Response | None:
        import hmac

        auth = request.headers.get("authorization", "")
        if not hmac.compare_digest(auth, f"Bearer {hub.admin_token}"):
            return JSONResponse({"error": "the experimenter's page needs its link"}, status_code=403)
        return None

    async def reissue(request: Request) -> Response:
        if (denied := _admin(request)) is not None:
            return denied
        s, err = _seat(request)
        if err is not None:
            return err
        s.reissue()
        return JSONResponse({"seat": s.name, "link": f"/seat/{url_name(s.name)}#token={s.token}"})

    async def overview(request: Request) -> Response:
        if (denied := _admin(request)) is not None:
            return denied
        seats = []
        for name, s in hub.seats.items():
            row = {"seat": name, "role": s.role, "status": s.status, "present": s.present(), **s.counts}
            if not s.taken:
                row["link"] = f"/seat/{url_name(name)}#token={s.token}"
            seats.append(row)
        return JSONResponse({"seats": seats, "finished": hub.finished, "results": _results_summary(run_dir)})

    routes = [Route("/", experimenter), Route("/seat/{name}", seat_page), Route("/assets/{file}", asset),
              Route("/api/seat/{name}/claim", claim, methods=["POST"]),
              Route("/api/seat/{name}/state", state), Route("/api/seat/{name}/answer", answer, methods=["POST"]),
              Route("/api/overview", overview), Route("/api/seat/{name}/reissue", reissue, methods=["POST"])]
    return Starlette(routes=routes)


class Server:
    """uvicorn serving ``make_app(hub, run_dir)`` on host:port in a daemon thread."""

    def __init__(self, hub: Hub, *, host: str = "127.0.0.1", port: int = 8765, run_dir: Path | None = None) -> None:
        import uvicorn

        config = uvicorn.Config(make_app(hub, run_dir), host=host, port=port, log_level="warning",
                                access_log=False, log_config=None, lifespan="off")
        self.server = uvicorn.Server(config)
        self.host, self.port = host, port
        self.thread = threading.Thread(target=self.server.run, name="interplay-web", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, wait: float = 10.0) -> Server:
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if not self.thread.is_alive():
                from interplay.errors import InterplayError

                raise InterplayError(f"serve: the web server could not start on {self.host}:{self.port} "
                                     "(is the port in use?).")
            if time.monotonic() - t0 > wait:
                break
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
