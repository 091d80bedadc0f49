// How a test sees a console's socket end: the close it got, or whether it still answers.

export interface Closed {
  code: number;
  reason: string;
}

/** The close the socket gets (listen right after opening it: the event is not replayed). */
export function closing(ws: WebSocket, ms = 5000): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the socket was not closed")), ms);
    ws.addEventListener("close", (e) => {
      clearTimeout(timer);
      resolve({ code: e.code, reason: e.reason });
    });
  });
}

/** Open, shown by a pong: the switchboard answers on the same socket after any close it sent before. */
export async function isOpen(ws: WebSocket): Promise<boolean> {
  const closed = closing(ws).then(() => false, () => false);
  const pong = new Promise<boolean>((resolve) => ws.addEventListener("message", (e) => e.data === "pong" && resolve(true)));
  try {
    ws.send("ping");
  } catch {
    return false;
  }
  return Promise.race([pong, closed]);
}
