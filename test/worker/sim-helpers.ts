// Driving the carrier simulator from tests: place calls, and play the agents' simulated phones,
// which connect to a caller with the ticket their claim won, as the console's phone does.
import { env } from "cloudflare:test";
import type { CarrierToPhone } from "../../simulator/phoneProtocol";
import type { SimCallState } from "../../simulator/SimCall";
import { CONNECT_PARAMS } from "../../worker/protocol";
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

/** Makes the simulator's next REST request(s) about this call suffer `fault`. */
export async function injectFault(callSid: string, fault: "timeout-applied" | "timeout" | "429" | "500" | "21220", opts: { op?: "update" | "fetch" | "record"; times?: number; holdMs?: number } = {}): Promise<void> {
  const res = await api("/sim/faults", null, { method: "POST", body: JSON.stringify({ callSid, fault, ...opts }) });
  if (res.status !== 201) throw new Error(`fault refused: ${res.status} ${await res.text()}`);
}

const openPhones: Phone[] = [];

export function closePhones(): void {
  for (const p of openPhones.splice(0)) p.close();
}

/** How a connect ended: the agent's leg joined the caller, or it was refused or ended first. */
export interface Connected {
  legSid: string;
  accepted: boolean;
}

let refs = 0;

/** A simulated phone, as the console's simulator adapter holds it. */
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

  /** device.connect() with a caller and a ticket; resolves once the leg is answered, or ended first. */
  async connect(callerSid: string, ticket: string): Promise<Connected> {
    const ref = `r${++refs}`;
    this.send({ type: "connect", ref, params: { [CONNECT_PARAMS.callerSid]: callerSid, [CONNECT_PARAMS.ticket]: ticket } });
    const m = await this.inbox.next((m) => (m.type === "accept" || m.type === "disconnect") && m.ref === ref, 15_000, `${this.agent.id}'s phone`);
    if (m.type !== "accept" && m.type !== "disconnect") throw new Error("unreachable");
    return { legSid: m.callSid, accepted: m.type === "accept" };
  }

  /** The leg ended (the caller hung up, a park or transfer moved them, the product ended it). */
  async disconnected(legSid: string, ms = 10_000): Promise<void> {
    await this.next((m) => m.type === "disconnect" && m.callSid === legSid, ms);
  }

  hangup(legSid: string): void {
    this.send({ type: "disconnect", callSid: legSid });
  }

  send(m: { type: string } & Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // closed
    }
  }
}
