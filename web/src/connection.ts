// The one owner of the console's WebSocket: connect, ping, back off and reconnect, resynchronise.
import { parseServerMessage, PING, PING_INTERVAL_MS, type ServerMessage } from "../../worker/protocol";
import { type AfterClose, afterClose } from "./closeReasons";

/** "closed": the server closed this console for good (closeReasons.ts); it stays closed until reopen(). */
export type LinkStatus = "connecting" | "online" | "offline" | "closed";

export interface Link {
  close(): void;
  /** Opens a link the server closed for good (the agent asked for this console back). */
  reopen(): void;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

export function connectConsole(opts: {
  onMessage: (msg: ServerMessage) => void;
  onStatus: (status: LinkStatus) => void;
  /** Called when the socket cannot be opened: the session may have expired. */
  onRefused: () => void;
  /** The server closed the socket and it must not reconnect by itself: the session ended, or a newer console took over. */
  onEnded: (why: Exclude<AfterClose, { kind: "reconnect" }>) => void;
  /** What a reconnecting close is worth telling the agent. */
  onNotice: (text: string) => void;
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
    socket.onclose = (e) => {
      clearInterval(pinger);
      if (closed || ws !== socket) return;
      const after = afterClose(e.code);
      if (after.kind !== "reconnect") {
        ws = null;
        opts.onStatus("closed");
        return opts.onEnded(after);
      }
      if (after.notice) opts.onNotice(after.notice);
      opts.onStatus("offline");
      if (!gotSnapshot) opts.onRefused();
      const base = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]!;
      retry = setTimeout(open, base / 2 + Math.random() * base); // jitter: consoles do not stampede after a deploy
    };
  };
  const reconnectNow = () => {
    // ws is null only after a close for good: the browser coming back online does not undo that.
    if (closed || !ws || ws.readyState === WebSocket.OPEN) return;
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
    reopen() {
      if (closed || ws) return;
      attempt = 0;
      open();
    },
  };
}
