/**
 * The JSON frames a test's WebSocket received, and a wait for the first that matches: received so far
 * or later. It always gives up after `ms` rather than hang, and says what did arrive.
 */
export class Inbox<T extends { type: string }> {
  readonly messages: T[] = [];
  private waiters: (() => void)[] = [];

  constructor(ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      if (e.data === "pong") return;
      this.messages.push(JSON.parse(e.data as string) as T);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** `take`: remove the message found, so that a later wait finds the next one (a call parked twice). */
  async next(match: (m: T) => boolean, ms: number, who = "socket", take = false): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex(match);
      const found = this.messages[i];
      if (found) {
        if (take) this.messages.splice(i, 1);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${who}: no matching message; got ${this.messages.map((m) => m.type).join(", ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
