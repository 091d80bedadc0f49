// The real phone: @twilio/voice-sdk's Device, registered with a token from /api/voice-token. Twilio
// rings no browser: the phone only places the winner's connect, with its one-time ticket, to the
// TwiML App, which joins the caller's conference (the lobby).
import { Call, Device, type TwilioError } from "@twilio/voice-sdk";
import { CONNECT_PARAMS } from "../../../worker/protocol";
import { api, SignedOut } from "../api";
import { JOIN_REFUSED, type Phone, type PhoneEvent } from "./phone";

const MICROPHONE_DENIED = "The browser was not allowed to use the microphone. Allow it in the address bar and try again.";

/** Twilio's error codes an agent can act on, in words (others show the SDK's own message). */
const MESSAGES: Record<number, string> = {
  31401: MICROPHONE_DENIED,
  31208: MICROPHONE_DENIED,
  31402: "The microphone could not be opened (is it plugged in, or used by another application?).",
  31201: "Twilio did not accept this phone's credentials.",
  31204: "Twilio did not accept this phone's token.",
  31205: "Your phone's session expired; reconnecting.",
  20101: "Twilio did not accept this phone's token.",
  20104: "Your phone's session expired; reconnecting.",
  31005: "The connection to Twilio was lost.",
  31009: "The connection to Twilio could not be made.",
  // A refused connect: the TwiML App answered <Hangup/> (a used or lapsed ticket, a call gone).
  31486: JOIN_REFUSED,
  31603: JOIN_REFUSED,
  31480: JOIN_REFUSED,
  53405: "The audio connection failed (network or firewall).",
};

/**
 * The Device says "tokenWillExpire" this long before its token lapses (the SDK's tokenRefreshMs,
 * default 10 s): the worker's tokens last ten minutes, and a minute leaves room for a slow network
 * and a few more tries.
 */
const TOKEN_REFRESH_MS = 60_000;
const TOKEN_RETRY_MS = 10_000;

/** Errors that say the Device itself cannot work any more, whatever its state. */
const FATAL = new Set([31201, 31204, 31205, 20101, 20104]);

function words(e: TwilioError.TwilioError | Error | unknown): string {
  const code = (e as TwilioError.TwilioError | undefined)?.code;
  return (code && MESSAGES[code]) || (e as Error | undefined)?.message || "The phone failed.";
}

/**
 * Asks for the microphone now, at the console's start, rather than at the first call: a denied
 * microphone then shows before a caller waits on it. The stream is released at once; the SDK opens
 * its own for each call.
 */
async function askMicrophone(): Promise<string | null> {
  if (!navigator.mediaDevices?.getUserMedia) return "This page cannot use a microphone (it must be opened over HTTPS).";
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const t of stream.getTracks()) t.stop();
    return null;
  } catch (e) {
    const name = (e as DOMException).name;
    if (name === "NotAllowedError" || name === "SecurityError") return MICROPHONE_DENIED;
    if (name === "NotFoundError" || name === "OverconstrainedError") return "No microphone was found. Plug one in and try again.";
    if (name === "NotReadableError") return MESSAGES[31402]!;
    return `The microphone could not be opened: ${(e as Error).message || name}`;
  }
}

export class TwilioPhone implements Phone {
  readonly kind = "twilio" as const;
  private device: Device | null = null;
  /** This phone's leg for each caller's CallSid (the SDK's Call of the connect). */
  private calls = new Map<string, Call>();
  /** Calls this agent hung up while their leg was still joining. */
  private abandoned = new Set<string>();
  private wantMuted = new Map<string, boolean>();
  private listeners: ((e: PhoneEvent) => void)[] = [];
  private generation = 0;

  onEvent(listener: (e: PhoneEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    const denied = await askMicrophone();
    if (!current()) return;
    if (denied) return this.emit({ type: "unready", reason: denied });
    let token: string;
    try {
      token = (await api.voiceToken()).token;
    } catch (e) {
      if (current()) this.emit({ type: "unready", reason: `could not get the phone's token (${(e as Error).message})` });
      return;
    }
    if (!current()) return;
    const device = new Device(token, { closeProtection: true, tokenRefreshMs: TOKEN_REFRESH_MS });
    this.device = device;
    // The agent pressed Answer: no outgoing chime while their leg joins the caller.
    device.audio?.outgoing(false);
    device.on("registered", () => current() && this.emit({ type: "ready" }));
    device.on("unregistered", () => current() && this.emit({ type: "unready", reason: "the phone is no longer registered with Twilio (reconnecting)" }));
    device.on("error", (e: TwilioError.TwilioError, call?: Call) => {
      // A Call's errors reach the Device too; the Call's own listener reports those.
      if (!current() || call) return;
      const code = e.code;
      if (FATAL.has(code) || device.state !== Device.State.Registered) this.emit({ type: "unready", reason: words(e) });
      else this.emit({ type: "error", callSid: null, message: words(e) });
    });
    device.on("tokenWillExpire", () => void this.renewToken(device, current, Date.now() + TOKEN_REFRESH_MS));
    try {
      await device.register();
    } catch (e) {
      if (current()) this.emit({ type: "unready", reason: words(e) });
    }
  }

  /**
   * A fresh token before this one lapses (Twilio's documented way: updateToken on "tokenWillExpire").
   * A 401 means the session has ended: api.ts has shown the sign-in page already, and no token comes.
   * Another failure is tried again while the old token lasts; then the phone says it is not ready.
   */
  private async renewToken(device: Device, current: () => boolean, lapsesAt: number): Promise<void> {
    for (;;) {
      try {
        const fresh = (await api.voiceToken()).token;
        if (current()) device.updateToken(fresh);
        return;
      } catch (e) {
        if (!current() || e instanceof SignedOut) return;
        if (Date.now() + TOKEN_RETRY_MS >= lapsesAt) return this.emit({ type: "unready", reason: "could not renew the phone's token" });
        await new Promise((resolve) => setTimeout(resolve, TOKEN_RETRY_MS));
      }
    }
  }

  stop(): void {
    this.generation++;
    this.device?.destroy();
    this.device = null;
    this.calls.clear();
    this.abandoned.clear();
    this.wantMuted.clear();
  }

  async connect(callSid: string, ticket: string): Promise<void> {
    const device = this.device;
    if (!device) throw new Error("the phone is not ready");
    if (this.calls.has(callSid)) throw new Error("this phone is already joining that call");
    this.abandoned.delete(callSid);
    let call: Call;
    try {
      call = await device.connect({ params: { [CONNECT_PARAMS.callerSid]: callSid, [CONNECT_PARAMS.ticket]: ticket } });
    } catch (e) {
      throw new Error(words(e));
    }
    this.calls.set(callSid, call);
    if (this.wantMuted.get(callSid)) call.mute(true);
    return new Promise<void>((resolve, reject) => {
      let accepted = false;
      let settled = false;
      const fail = (why: string) => {
        if (accepted || settled) return;
        settled = true;
        this.forget(callSid, call);
        reject(new Error(this.abandoned.delete(callSid) ? "you hung up before the call was connected" : why));
      };
      call.on("accept", () => {
        if (settled) return;
        accepted = settled = true;
        this.emit({ type: "connected", callSid });
        resolve();
      });
      // A refused connect (<Hangup/>) may end as a disconnect without accept, or as an error.
      call.on("disconnect", () => {
        if (!accepted) return fail(JOIN_REFUSED);
        if (this.forget(callSid, call)) this.emit({ type: "disconnect", callSid });
      });
      call.on("cancel", () => fail(JOIN_REFUSED));
      call.on("reject", () => fail(JOIN_REFUSED));
      call.on("error", (e: TwilioError.TwilioError) => {
        if (!accepted) return fail(words(e));
        this.emit({ type: "error", callSid, message: words(e) });
      });
    });
  }

  hangup(callSid: string): void {
    const call = this.calls.get(callSid);
    if (!call) return;
    if (call.status() !== Call.State.Open) this.abandoned.add(callSid);
    call.disconnect();
  }

  mute(callSid: string, muted: boolean): void {
    this.wantMuted.set(callSid, muted);
    this.calls.get(callSid)?.mute(muted);
  }

  /** Drops the leg of this call if it is still this one (a later connect of the same call has its own). */
  private forget(callSid: string, call: Call): boolean {
    if (this.calls.get(callSid) !== call) return false;
    this.calls.delete(callSid);
    this.wantMuted.delete(callSid);
    return true;
  }

  private emit(e: PhoneEvent): void {
    for (const l of this.listeners) l(e);
  }
}
