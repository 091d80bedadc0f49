// The one owner of the console's WebSocket: connect, ping, back off and reconnect, resynchronise.
import { parseServerMessage, PING, PING_INTERVAL_MS, type ServerMessage } from "../../worker/protocol";

export type LinkStatus = "connecting" | "online" | "offline";

export interface Link {
  close(): void;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export function connectConsole(opts: {
  onMessage: (msg: ServerMessage) => void;
  onStatus: (status: LinkStatus) => void;
  /** Called when the socket cannot be opened: the session may have expired. */
  onRefused: () => void;
}): Link {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let closed = false;
  let pinger: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    opts.onStatus("connecting");
    const url = new URL("/api/console", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    ws = socket;
    let gotSnapshot = false;
    socket.onmessage = (e) => {
      if (e.data === "pong") return;
      const msg = parseServerMessage(e.data);
      if (!msg) return;
      if (msg.type === "snapshot") {
        gotSnapshot = true;
        attempt = 0;
        opts.onStatus("online");
      }
      opts.onMessage(msg);
    };
    socket.onopen = () => {
      pinger = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send(PING), PING_INTERVAL_MS);
    };
    socket.onclose = () => {
      clearInterval(pinger);
      if (closed) return;
      opts.onStatus("offline");
      if (!gotSnapshot) opts.onRefused();
      const base = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]!;
      retry = setTimeout(open, base / 2 + Math.random() * base); // jitter: consoles do not stampede after a deploy
    };
  };
  const reconnectNow = () => {
    if (closed || ws?.readyState === WebSocket.OPEN) return;
    clearTimeout(retry);
    attempt = 0;
    open();
  };
  window.addEventListener("online", reconnectNow);
  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(pinger);
      window.removeEventListener("online", reconnectNow);
      ws?.close(1000, "signed out");
    },
  };
}
