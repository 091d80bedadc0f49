// The console's state: the board (a pure reducer fed by the switchboard), this agent's phone, and
// the actions an agent takes. Components read from here and call these actions; nothing else talks
// to the server.
import { createSignal } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import type { AgentView, ServerMessage } from "../../worker/protocol";
import { api, ApiFailure, SignedOut } from "./api";
import { activeCallOf, apply, type BoardState, emptyBoard, ringingFor } from "./board";
import { connectConsole, type Link, type LinkStatus } from "./connection";
import { notifyRing } from "./notify";
import type { Phone } from "./phone/phone";
import { SimulatorPhone } from "./phone/simulator";
import { setRinging } from "./ringtone";

export interface Notice {
  id: number;
  text: string;
  tone: "info" | "problem";
}

const NOTICE_MS = 8000;

export function createConsole(me: AgentView, phoneKind: "twilio" | "simulator", onSignedOut: () => void) {
  const [board, setBoard] = createStore<BoardState>(structuredClone(emptyBoard));
  let current: BoardState = emptyBoard;
  const [link, setLink] = createSignal<LinkStatus>("connecting");
  const [notices, setNotices] = createSignal<Notice[]>([]);
  const [pending, setPending] = createSignal<Record<string, "answering" | "declining">>({});
  const [muted, setMuted] = createSignal(false);
  const [phoneReady, setPhoneReady] = createSignal(false);
  let phone: Phone | null = null;
  let noticeId = 0;

  const name = (id: string | null | undefined) => (id ? (current.agents[id]?.name ?? id) : "another agent");

  function notice(text: string, tone: Notice["tone"] = "info"): void {
    const n = { id: ++noticeId, text, tone };
    setNotices((all) => [...all, n]);
    setTimeout(() => setNotices((all) => all.filter((x) => x.id !== n.id)), NOTICE_MS);
  }

  function onMessage(msg: ServerMessage): void {
    const before = current;
    current = apply(current, msg);
    setBoard(reconcile(current));
    // Someone else took a call that rang here: say who, calmly, and stop ringing it.
    if (msg.type === "call.answered" && msg.agentId !== me.id && before.calls[msg.call.callSid]?.ringing.includes(me.id)) {
      phone?.silence(msg.call.callSid);
      notice(`Answered by ${name(msg.agentId)}`);
    }
    if (msg.type === "call.claim_released" && msg.agentId !== me.id && msg.call.ringing.includes(me.id)) {
      notice(`${name(msg.agentId)} could not connect: the call is ringing again`);
    }
    if (msg.type === "call.ringing" && msg.call.ringing.includes(me.id)) notifyRing(msg.call.callSid, msg.call.from);
    if (msg.type === "voicemail.created") notice(`New voicemail from ${msg.voicemail.from}`);
    setRinging(ringingFor(current, me.id).length > 0 && !activeCallOf(current, me.id));
  }

  let linkHandle: Link | null = null;

  async function start(): Promise<void> {
    linkHandle = connectConsole({
      onMessage,
      onStatus: setLink,
      onRefused: () => {
        // The socket may have been refused because the session expired: ask the API, which signs out on 401.
        api.me().catch(() => undefined);
      },
    });
    phone = phoneKind === "simulator" ? new SimulatorPhone() : new (await import("./phone/twilio")).TwilioPhone();
    phone.onEvent((e) => {
      if (e.type === "ready") setPhoneReady(true);
      if (e.type === "error") notice(e.message, "problem");
    });
    try {
      await phone.start();
    } catch (e) {
      notice(`The phone could not start: ${(e as Error).message}`, "problem");
    }
  }

  function stop(): void {
    linkHandle?.close();
    phone?.stop();
    setRinging(false);
  }

  function setBusy(callSid: string, what: "answering" | "declining" | null): void {
    setPending((p) => {
      const { [callSid]: _, ...rest } = p;
      return what ? { ...rest, [callSid]: what } : rest;
    });
  }

  async function guarded(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof SignedOut) return onSignedOut();
      notice(e instanceof ApiFailure ? e.message : (e as Error).message, "problem");
    }
  }

  /** Claim first, then accept on the phone: the claim decides who gets the call. */
  const answer = (callSid: string) =>
    guarded(async () => {
      if (pending()[callSid]) return;
      setBusy(callSid, "answering");
      try {
        const result = await api.claim(callSid);
        if (!result.claimed) {
          phone?.silence(callSid);
          // Losing the race is normal: a calm notice, not an error.
          notice(result.busyWith ? "You are already on a call" : `Answered by ${name(result.claimedBy)}`);
          return;
        }
        try {
          await phone!.accept(callSid);
          setMuted(false);
        } catch (e) {
          // Give the call back at once rather than make the others wait for the lease.
          await api.decline(callSid).catch(() => undefined);
          notice(`Could not connect the call: ${(e as Error).message}`, "problem");
        }
      } finally {
        setBusy(callSid, null);
      }
    });

  const decline = (callSid: string) =>
    guarded(async () => {
      setBusy(callSid, "declining");
      try {
        phone?.reject(callSid);
        await api.decline(callSid);
      } finally {
        setBusy(callSid, null);
      }
    });

  const hangup = (callSid: string) => phone?.hangup(callSid);

  const toggleMute = (callSid: string) => {
    const next = !muted();
    phone?.mute(callSid, next);
    setMuted(next);
  };

  const setAvailable = (available: boolean) => guarded(async () => void (await api.setAvailable(available)));

  const placeTestCall = () =>
    guarded(async () => {
      const from = "+1555" + String(Math.floor(1000000 + Math.random() * 8999999));
      await api.placeTestCall(from);
    });

  const callerHangsUp = (callSid: string) => guarded(async () => void (await api.hangUpTestCall(callSid)));

  const signOut = () =>
    guarded(async () => {
      await api.signOut();
      onSignedOut();
    });

  return {
    me,
    phoneKind,
    board,
    link,
    notices,
    pending,
    muted,
    phoneReady,
    start,
    stop,
    answer,
    decline,
    hangup,
    toggleMute,
    setAvailable,
    placeTestCall,
    callerHangsUp,
    signOut,
    dismiss: (id: number) => setNotices((all) => all.filter((n) => n.id !== id)),
  };
}

export type ConsoleStore = ReturnType<typeof createConsole>;
