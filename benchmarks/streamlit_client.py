"""A light Streamlit client for benchmarks: speaks the app's own websocket protocol, no browser.

It does what the browser's frontend does on the wire: opens ws://HOST:PORT/_stcore/stream (subprotocol
"streamlit"; no Origin header and no XSRF token, which the server accepts from non-browser clients: the XSRF
token only guards the OIDC auth cookie), sends a BackMsg `rerun_script` with a ClientState (query string, page
name or page script hash, widget states) and reads ForwardMsgs until the run's `script_finished`. A run ended
early by `st.rerun()` (FINISHED_EARLY_FOR_RERUN) is followed by the server's own rerun, so a "run" here lasts
until a run finishes for good, as the browser's "settled" does. No rendering: the deltas are kept as protobuf
Elements, to find widget ids by label, read exception boxes and list the menu (the Navigation message).

Used by benchmarks/load_benchmark.py (--client protocol). Needs only `websockets` (a Streamlit dependency).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

FINISHED = ForwardMsg.ScriptFinishedStatus
#: Text input and buttons are what the benchmark needs to find; other widgets keep their server-side values.
WIDGET_KINDS = ("text_input", "button", "selectbox", "radio", "checkbox", "segmented_control")


class ProtocolError(RuntimeError):
    """The server closed the connection, sent something unexpected, or a widget was not found."""


@dataclass
class Run:
    """One script run as the client saw it, from the BackMsg sent to the final `script_finished`."""

    seconds: float
    status: str
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    page_not_found: bool = False
    messages: int = 0
    bytes_received: int = 0

    def exceptions(self) -> list[str]:
        """The exception boxes of the run ("Type: message")."""
        return [f"{e.exception.type}: {e.exception.message}".strip(": ")
                for e in self.elements.values() if e.WhichOneof("type") == "exception"]

    def of_kind(self, kind: str) -> list[Element]:
        return [e for _, e in sorted(self.elements.items()) if e.WhichOneof("type") == kind]

    def texts(self) -> list[str]:
        """Headings, markdown, text and alert bodies, in delta order (for checks and failure messages)."""
        out = []
        for _, element in sorted(self.elements.items()):
            kind = element.WhichOneof("type")
            if kind in ("heading", "markdown", "text", "alert"):
                out.append(getattr(element, kind).body)
        return out


@dataclass
class Page:
    script_hash: str
    title: str
    url_pathname: str
    hidden: bool


class StreamlitSession:
    """One session (one websocket) of a running Streamlit app, opened at `path` ("/", "/school?urn=...")."""

    def __init__(self, base_url: str, path: str = "/", timeout: float = 180.0) -> None:
        parts = urlsplit(base_url)
        self.stream_url = f"ws://{parts.netloc}{parts.path.rstrip('/')}/_stcore/stream"
        address = urlsplit(path)
        self.page_name = address.path.strip("/")
        self.query_string = address.query
        self.timeout = timeout
        self.page_script_hash = ""
        self.pages: list[Page] = []
        self.last: Run | None = None
        self._socket: ClientConnection | None = None

    async def __aenter__(self) -> StreamlitSession:
        self._socket = await asyncio.wait_for(
            connect(self.stream_url, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout),  # type: ignore[list-item]
            timeout=self.timeout,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()

    # ------------------------------------------------------------------------------ runs

    async def open(self) -> Run:
        """The first run, as a browser opening the address: page by URL path name, the query string."""
        return await self._rerun(ClientState(query_string=self.query_string, page_name=self.page_name))

    async def rerun(self, widgets: list[WidgetState] | None = None, page_script_hash: str | None = None,
                    ) -> Run:
        """A rerun of the current page (or of `page_script_hash`) with these widget values sent."""
        target = self.page_script_hash if page_script_hash is None else page_script_hash
        state = ClientState(query_string=self.query_string, page_script_hash=target)
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        return await self._rerun(state)

    async def submit_form(self, values: dict[str, str], button: str) -> Run:
        """Fill the text inputs labelled as `values`' keys, press the form submit button labelled `button`."""
        widgets = [WidgetState(id=self.widget_id("text_input", label), string_value=value)
                   for label, value in values.items()]
        widgets.append(WidgetState(id=self.widget_id("button", button), trigger_value=True))
        return await self.rerun(widgets)

    async def navigate(self, title: str) -> Run:
        """Click the menu link of the page titled `title` (as the sidebar does: by its script hash)."""
        matches = [p for p in self.pages if p.title == title and not p.hidden]
        if not matches:
            menu = [p.title for p in self.pages if not p.hidden]
            raise ProtocolError(f"no menu entry {title!r} (menu: {menu})")
        self.query_string = ""  # a menu link drops the current page's query string
        return await self.rerun(page_script_hash=matches[0].script_hash)

    def widget_id(self, kind: str, label: str) -> str:
        if self.last is None:
            raise ProtocolError("no run yet")
        for element in self.last.of_kind(kind):
            widget = getattr(element, kind)
            if widget.label == label:
                return str(widget.id)
        raise ProtocolError(f"no {kind} labelled {label!r} on the page")

    async def _rerun(self, state: ClientState) -> Run:
        if self._socket is None:
            raise ProtocolError("not connected")
        started = time.perf_counter()
        await self._socket.send(BackMsg(rerun_script=state).SerializeToString())
        run = await asyncio.wait_for(self._read_until_finished(), timeout=self.timeout)
        run.seconds = time.perf_counter() - started
        self.last = run
        return run

    async def _read_until_finished(self) -> Run:
        assert self._socket is not None
        run = Run(0.0, "")
        while True:
            try:
                data = await self._socket.recv()
            except Exception as error:  # noqa: BLE001 (closed: report it as the protocol's failure)
                raise ProtocolError(f"connection lost: {type(error).__name__}: {error}") from error
            if isinstance(data, str):
                raise ProtocolError("text frame from the server")
            run.messages += 1
            run.bytes_received += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            status = self._take(message, run)
            if status is not None and status != FINISHED.FINISHED_EARLY_FOR_RERUN:
                run.status = FINISHED.Name(status)
                return run

    def _take(self, message: ForwardMsg, run: Run) -> Any:
        """Record one ForwardMsg; the script_finished status when it is one, else None."""
        kind = message.WhichOneof("type")
        if kind == "new_session":
            run.elements.clear()  # a new run (the first, or the one after st.rerun) redraws the page
            run.page_not_found = False
            self.page_script_hash = message.new_session.page_script_hash or self.page_script_hash
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            run.elements[tuple(message.metadata.delta_path)] = message.delta.new_element
        elif kind == "navigation":
            self.pages = [Page(p.page_script_hash, p.page_name, p.url_pathname, p.is_hidden)
                          for p in message.navigation.app_pages]
            if message.navigation.page_script_hash:
                self.page_script_hash = message.navigation.page_script_hash
        elif kind == "page_not_found":
            run.page_not_found = True
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "script_finished":
            return message.script_finished
        return None
