// Driving the carrier simulator from tests: place calls and play the agents' simulated phones.
import { env } from "cloudflare:test";
import type { CarrierToPhone, IncomingLeg } from "../../simulator/phoneProtocol";
import type { SimCallState } from "../../simulator/SimCall";
import { api, ORIGIN, type TestAgent } from "./helpers";
import { Inbox } from "./inbox";

export async function placeCall(opts: { from?: string; speed?: number; message?: number; hangupAfter?: number } = {}): Promise<string> {
  const res = await api("/sim/calls", null, { method: "POST", body: JSON.stringify({ from: opts.from ?? "+15551230001", ...opts }) });
  if (res.status !== 201) throw new Error(`placing a call failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { callSid: string }).callSid;
}

/** The simulated call once what is under way on it has finished. */
export async function simState(callSid: string): Promise<SimCallState> {
  const s = await env.SIM_CALLS.getByName(callSid).settled();
  if (!s) throw new Error("no simulated call " + callSid);
  return s;
}

const openPhones: Phone[] = [];

export function closePhones(): void {
  for (const p of openPhones.splice(0)) p.close();
}

/** A simulated phone, as the console's simulator adapter will hold it. */
export class Phone {
  private readonly inbox: Inbox<CarrierToPhone>;
  private constructor(
    readonly agent: TestAgent,
    private ws: WebSocket,
  ) {
    this.inbox = new Inbox<CarrierToPhone>(ws);
  }

  get messages(): CarrierToPhone[] {
    return this.inbox.messages;
  }

  static async register(agent: TestAgent): Promise<Phone> {
    const res = await api("/sim/phone", agent.cookie, { headers: { Upgrade: "websocket", Origin: ORIGIN } });
    if (!res.webSocket) throw new Error(`phone refused: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    const p = new Phone(agent, res.webSocket);
    openPhones.push(p);
    await p.next((m) => m.type === "registered");
    return p;
  }

  next(match: (m: CarrierToPhone) => boolean, ms = 10_000): Promise<CarrierToPhone> {
    return this.inbox.next(match, ms, `${this.agent.id}'s phone`);
  }

  async incoming(parentCallSid: string): Promise<IncomingLeg> {
    const m = await this.next((m) => m.type === "incoming" && m.call.parentCallSid === parentCallSid);
    if (m.type !== "incoming") throw new Error("unreachable");
    return m.call;
  }

  /** The next leg of this call not taken yet: a parked call rings the same phone again with a new leg. */
  async takeIncoming(parentCallSid: string, purpose?: string, ms = 10_000): Promise<IncomingLeg> {
    const m = await this.inbox.next(
      (m) => m.type === "incoming" && m.call.parentCallSid === parentCallSid && (!purpose || m.call.customParameters.purpose === purpose),
      ms,
      `${this.agent.id}'s phone`,
      true,
    );
    if (m.type !== "incoming") throw new Error("unreachable");
    return m.call;
  }

  /** Waits for and removes the next matching message. */
  take(match: (m: CarrierToPhone) => boolean, ms = 10_000): Promise<CarrierToPhone> {
    return this.inbox.next(match, ms, `${this.agent.id}'s phone`, true);
  }

  send(type: "accept" | "reject" | "disconnect", leg: IncomingLeg): void {
    this.ws.send(JSON.stringify({ type, callSid: leg.callSid, parentCallSid: leg.parentCallSid }));
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // closed
    }
  }
}
