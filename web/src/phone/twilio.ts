// The real phone: @twilio/voice-sdk's Device, registered with a token from /api/voice-token.
import { Call, Device, type TwilioError } from "@twilio/voice-sdk";
import { api } from "../api";
import { ringPurpose, type Phone, type PhoneEvent } from "./phone";

/** Twilio's error codes an agent can act on, in words (others show the SDK's own message). */
const MESSAGES: Record<number, string> = {
  31401: "The browser was not allowed to use the microphone. Allow it in the address bar and try again.",
  31208: "The browser was not allowed to use the microphone. Allow it in the address bar and try again.",
  31205: "Your phone's session expired; reconnecting.",
  31005: "The connection to Twilio was lost.",
  31009: "The connection to Twilio could not be made.",
  53405: "The audio connection failed (network or firewall).",
};

function words(e: TwilioError.TwilioError | Error): string {
  const code = (e as TwilioError.TwilioError).code;
  return (code && MESSAGES[code]) || e.message || "The phone failed.";
}

export class TwilioPhone implements Phone {
  readonly kind = "twilio" as const;
  private device: Device | null = null;
  private calls = new Map<string, Call>();
  private listeners: ((e: PhoneEvent) => void)[] = [];

  onEvent(listener: (e: PhoneEvent) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const { token } = await api.voiceToken();
    const device = new Device(token, { closeProtection: true });
    this.device = device;
    // The console rings with its own Web Audio tone, driven by the board, so that a lost claim can
    // stop the ring without closing the pending Call.
    device.audio?.incoming(false);
    device.on("registered", () => this.emit({ type: "ready" }));
    device.on("error", (e: TwilioError.TwilioError) => this.emit({ type: "error", parentCallSid: null, message: words(e) }));
    device.on("tokenWillExpire", async () => device.updateToken((await api.voiceToken()).token));
    device.on("incoming", (call: Call) => {
      // Every agent's leg has its own child CallSid; the board keys calls by the parent (twilio-facts.md).
      const parent = call.customParameters.get("parentCallSid");
      if (!parent) return call.reject();
      this.calls.set(parent, call);
      call.on("cancel", () => this.drop(parent, call, "cancel"));
      call.on("disconnect", () => this.drop(parent, call, "disconnect"));
      call.on("reject", () => this.forget(parent, call));
      call.on("error", (e: TwilioError.TwilioError) => this.emit({ type: "error", parentCallSid: parent, message: words(e) }));
      const parameters = Object.fromEntries(call.customParameters);
      this.emit({ type: "incoming", parentCallSid: parent, from: call.parameters.From ?? "", purpose: ringPurpose(parameters), parameters });
    });
    await device.register();
  }

  stop(): void {
    this.device?.destroy();
    this.device = null;
  }

  accept(parentCallSid: string): Promise<void> {
    const call = this.calls.get(parentCallSid);
    if (!call) return Promise.reject(new Error("the call never reached this phone"));
    return new Promise((resolve, reject) => {
      call.once("accept", () => {
        this.emit({ type: "connected", parentCallSid });
        resolve();
      });
      call.once("error", (e: TwilioError.TwilioError) => reject(new Error(words(e))));
      call.once("cancel", () => reject(new Error("the call was answered elsewhere or the caller hung up")));
      call.accept();
    });
  }

  reject(parentCallSid: string): void {
    this.calls.get(parentCallSid)?.reject();
  }

  silence(_parentCallSid: string): void {
    // The SDK's own ring is off (see start()); the console's ringtone follows the board. The pending
    // Call stays open so this agent can still answer if the winner's claim lapses.
  }

  hangup(parentCallSid: string): void {
    this.calls.get(parentCallSid)?.disconnect();
  }

  mute(parentCallSid: string, muted: boolean): void {
    this.calls.get(parentCallSid)?.mute(muted);
  }

  /**
   * A parked, retrieved or transferred call reaches the same agent again as a new leg of the same
   * parent: the old leg's late disconnect must not drop the new one.
   */
  private forget(parentCallSid: string, call: Call): boolean {
    if (this.calls.get(parentCallSid) !== call) return false;
    this.calls.delete(parentCallSid);
    return true;
  }

  private drop(parentCallSid: string, call: Call, type: "cancel" | "disconnect"): void {
    if (this.forget(parentCallSid, call)) this.emit({ type, parentCallSid });
  }

  private emit(e: PhoneEvent): void {
    for (const l of this.listeners) l(e);
  }
}
