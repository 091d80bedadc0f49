// The phone of the built-in carrier simulator: a WebSocket to /sim/phone that behaves like the
// Voice SDK's Device and Call (docs/simulator.md).
import type { CarrierToPhone, IncomingLeg, PhoneToCarrier } from "../../../simulator/phoneProtocol";
import { ringPurpose, type Phone, type PhoneEvent } from "./phone";

const LEG_WAIT_MS = 5000;

export class SimulatorPhone implements Phone {
  readonly kind = "simulator" as const;
  private ws: WebSocket | null = null;
  private legs = new Map<string, IncomingLeg>();
  private listeners: ((e: PhoneEvent) => void)[] = [];
  private pendingAccept = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private stopped = false;
  private retry: ReturnType<typeof setTimeout> | undefined;

  onEvent(listener: (e: PhoneEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.ws?.close(1000, "stopped");
  }

  async accept(parentCallSid: string): Promise<void> {
    const leg = this.legs.get(parentCallSid) ?? (await this.waitForLeg(parentCallSid));
    const done = new Promise<void>((resolve, reject) => this.pendingAccept.set(leg.callSid, { resolve, reject }));
    this.send({ type: "accept", callSid: leg.callSid, parentCallSid });
    return done;
  }

  reject(parentCallSid: string): void {
    const leg = this.legs.get(parentCallSid);
    if (leg) this.send({ type: "reject", callSid: leg.callSid, parentCallSid });
    this.legs.delete(parentCallSid);
  }

  silence(_parentCallSid: string): void {
    // Nothing to tell the carrier: the leg stays alive; the console's ringtone follows the board.
  }

  hangup(parentCallSid: string): void {
    const leg = this.legs.get(parentCallSid);
    if (leg) this.send({ type: "disconnect", callSid: leg.callSid, parentCallSid });
  }

  mute(parentCallSid: string, muted: boolean): void {
    const leg = this.legs.get(parentCallSid);
    if (leg) this.send({ type: "mute", callSid: leg.callSid, parentCallSid, muted });
  }

  private connect(): void {
    const url = new URL("/sim/phone", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (e) => this.receive(JSON.parse(String(e.data)) as CarrierToPhone);
    ws.onclose = () => {
      if (!this.stopped) this.retry = setTimeout(() => this.connect(), 1000);
    };
  }

  private receive(m: CarrierToPhone): void {
    const byLeg = (callSid: string) => [...this.legs.values()].find((l) => l.callSid === callSid);
    switch (m.type) {
      case "registered":
        return this.emit({ type: "ready" });
      case "incoming":
        this.legs.set(m.call.parentCallSid, m.call);
        return this.emit({
          type: "incoming",
          parentCallSid: m.call.parentCallSid,
          from: m.call.from,
          purpose: ringPurpose(m.call.customParameters ?? {}),
          parameters: { ...m.call.customParameters },
        });
      case "accept": {
        const leg = byLeg(m.callSid);
        this.pendingAccept.get(m.callSid)?.resolve();
        this.pendingAccept.delete(m.callSid);
        // Another tab of this agent answered: for this one it is a cancel, as with two Devices.
        if (leg) this.emit({ type: "connected", parentCallSid: leg.parentCallSid });
        return;
      }
      case "cancel":
      case "disconnect": {
        const leg = byLeg(m.callSid);
        if (!leg) return;
        this.legs.delete(leg.parentCallSid);
        this.pendingAccept.get(m.callSid)?.reject(new Error("the call was answered elsewhere or the caller hung up"));
        this.pendingAccept.delete(m.callSid);
        return this.emit({ type: m.type, parentCallSid: leg.parentCallSid });
      }
      case "error": {
        const pending = m.callSid ? this.pendingAccept.get(m.callSid) : undefined;
        if (pending && m.callSid) {
          pending.reject(new Error(m.message));
          this.pendingAccept.delete(m.callSid);
        }
        const leg = m.callSid ? byLeg(m.callSid) : undefined;
        return this.emit({ type: "error", parentCallSid: leg?.parentCallSid ?? null, message: m.message });
      }
    }
  }

  /** The board may show the ring a moment before the phone's own invite arrives. */
  private waitForLeg(parentCallSid: string): Promise<IncomingLeg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the call never reached this phone")), LEG_WAIT_MS);
      this.onEvent((e) => {
        const leg = this.legs.get(parentCallSid);
        if (e.type === "incoming" && leg) {
          clearTimeout(timer);
          resolve(leg);
        }
      });
    });
  }

  private send(m: PhoneToCarrier): void {
    this.ws?.send(JSON.stringify(m));
  }

  private emit(e: PhoneEvent): void {
    for (const l of this.listeners) l(e);
  }
}
