// The phone of the built-in carrier simulator: a WebSocket to /sim/phone that behaves like the
// Voice SDK's Device and Call (docs/simulator.md): it registers, and places the winner's connect
// with its ticket; the carrier answers with the leg's CallSid, its accept, or its end.
import type { CarrierToPhone, PhoneToCarrier } from "../../../simulator/phoneProtocol";
import { CONNECT_PARAMS } from "../../../worker/protocol";
import { JOIN_REFUSED, type Phone, type PhoneEvent } from "./phone";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const GONE = "the simulated phone disconnected";

/** One connect of this phone: the caller's CallSid, and the leg's own once the carrier says it. */
interface Leg {
  ref: string;
  callerSid: string;
  legSid: string | null;
  accepted: boolean;
  /** The agent hung up before the leg was answered. */
  abandoned: boolean;
  muted: boolean;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class SimulatorPhone implements Phone {
  readonly kind = "simulator" as const;
  private ws: WebSocket | null = null;
  private listeners: ((e: PhoneEvent) => void)[] = [];
  /** By ref: every leg of this phone, joining or connected. */
  private legs = new Map<string, Leg>();
  private stopped = true;
  private attempt = 0;
  private nextRef = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;

  onEvent(listener: (e: PhoneEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "stopped");
    this.dropAll();
  }

  connect(callSid: string, ticket: string): Promise<void> {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("the phone is not ready (the simulated phone is not connected)"));
    if (this.legOf(callSid)) return Promise.reject(new Error("this phone is already joining that call"));
    const ref = `c${++this.nextRef}`;
    return new Promise<void>((resolve, reject) => {
      this.legs.set(ref, { ref, callerSid: callSid, legSid: null, accepted: false, abandoned: false, muted: false, resolve, reject });
      this.send({ type: "connect", ref, params: { [CONNECT_PARAMS.callerSid]: callSid, [CONNECT_PARAMS.ticket]: ticket } });
    });
  }

  hangup(callSid: string): void {
    const leg = this.legOf(callSid);
    if (!leg) return;
    if (!leg.accepted) leg.abandoned = true;
    // Before the carrier named the leg there is nothing to end yet: its "ringing" ends it.
    if (leg.legSid) this.send({ type: "disconnect", callSid: leg.legSid });
  }

  mute(callSid: string, muted: boolean): void {
    const leg = this.legOf(callSid);
    if (!leg) return;
    leg.muted = muted;
    if (leg.legSid) this.send({ type: "mute", callSid: leg.legSid, muted });
  }

  private legOf(callerSid: string): Leg | undefined {
    return [...this.legs.values()].find((l) => l.callerSid === callerSid);
  }

  private open(): void {
    const url = new URL("/sim/phone", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      let m: CarrierToPhone;
      try {
        m = JSON.parse(String(e.data)) as CarrierToPhone;
      } catch {
        return;
      }
      this.receive(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.dropAll();
      if (this.stopped) return;
      this.emit({ type: "unready", reason: GONE });
      const wait = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)]!;
      this.retry = setTimeout(() => this.open(), wait);
    };
  }

  private receive(m: CarrierToPhone): void {
    switch (m.type) {
      case "registered":
        this.attempt = 0;
        return this.emit({ type: "ready" });
      case "ringing": {
        const leg = this.legs.get(m.ref);
        if (!leg) return;
        leg.legSid = m.callSid;
        if (leg.abandoned) this.send({ type: "disconnect", callSid: m.callSid });
        else if (leg.muted) this.send({ type: "mute", callSid: m.callSid, muted: true });
        return;
      }
      case "accept": {
        const leg = this.legs.get(m.ref);
        if (!leg || leg.accepted) return;
        leg.legSid = m.callSid;
        if (leg.abandoned) {
          // Hung up while joining: the disconnect is on its way (or goes now).
          this.send({ type: "disconnect", callSid: m.callSid });
          return;
        }
        leg.accepted = true;
        this.emit({ type: "connected", callSid: leg.callerSid });
        return leg.resolve();
      }
      case "disconnect": {
        const leg = this.legs.get(m.ref);
        if (!leg) return;
        this.legs.delete(m.ref);
        if (leg.accepted) return this.emit({ type: "disconnect", callSid: leg.callerSid });
        return leg.reject(new Error(leg.abandoned ? "you hung up before the call was connected" : JOIN_REFUSED));
      }
      case "error": {
        const leg = m.ref !== null ? this.legs.get(m.ref) : undefined;
        if (leg && !leg.accepted) {
          this.legs.delete(leg.ref);
          return leg.reject(new Error(m.message || JOIN_REFUSED));
        }
        return this.emit({ type: "error", callSid: leg?.callerSid ?? null, message: m.message });
      }
    }
  }

  /** The socket is gone, and every leg with it (as a browser's media dies with its page). */
  private dropAll(): void {
    const legs = [...this.legs.values()];
    this.legs.clear();
    for (const leg of legs) {
      if (leg.accepted) this.emit({ type: "disconnect", callSid: leg.callerSid });
      else leg.reject(new Error(GONE));
    }
  }

  private send(m: PhoneToCarrier): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private emit(e: PhoneEvent): void {
    for (const l of this.listeners) l(e);
  }
}
