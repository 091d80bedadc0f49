// The console's HTTP calls. A 401 anywhere means the session is gone: the app shows sign-in again.
import type {
  AgentReport,
  AgentView,
  ApiError,
  AwayReasonsBody,
  CallLogPage,
  CallNote,
  CallNoteRequest,
  CallOutcomesBody,
  CallTimeline,
  ClaimResponse,
  DialRequest,
  DialResponse,
  MeResponse,
  ParkResponse,
  PhoneStateRequest,
  RecordingSettingBody,
  ReleaseRequest,
  ReportSummary,
  ReportTotals,
  RetrieveResponse,
  StatusRequest,
  TimeZoneBody,
  TransferRequest,
  TransferResponse,
  VoicemailAssigneeRequest,
  VoicemailHandledRequest,
  VoicemailResponse,
} from "../../worker/protocol";

export class SignedOut extends Error {}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let onSignedOut: () => void = () => {};
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? ({} as T) : ((await res.json().catch(() => ({}))) as T);
  if (res.status === 401 && path !== "/api/session") {
    onSignedOut();
    throw new SignedOut("signed out");
  }
  return { status: res.status, body: data };
}

function ok<T>(r: { status: number; body: T | ApiError }): T {
  if (r.status >= 400) throw new ApiFailure(r.status, (r.body as ApiError).error ?? `request failed (${r.status})`);
  return r.body as T;
}

export const api = {
  me: async () => ok(await call<MeResponse>("GET", "/api/me")),
  signIn: async (email: string, password: string) => ok(await call<unknown>("POST", "/api/session", { email, password })),
  signOut: async () => {
    await call("DELETE", "/api/session");
  },
  setAvailable: async (available: boolean) => ok(await call<{ agent: AgentView } | ApiError>("PUT", "/api/me/availability", { available })),
  /** Available, or Away with a reason from the admin's list (awayReasons). */
  setStatus: async (status: StatusRequest) => ok(await call<{ agent: AgentView } | ApiError>("PUT", "/api/me/status", status)),
  awayReasons: async () => ok(await call<AwayReasonsBody | ApiError>("GET", "/api/settings/away-reasons")).reasons,
  /** Ends this agent's wrap-up early: rung again at once. null: 409, not in wrap-up (it ended on its own meanwhile). */
  ready: async () => {
    const r = await call<{ agent: AgentView } | ApiError>("POST", "/api/me/ready");
    return r.status === 409 ? null : ok(r);
  },
  /** Whether this console's phone can take a call: the server rings this agent only while it can. */
  setPhone: async (ready: boolean, reason?: string) =>
    ok(await call<{ agent: AgentView } | ApiError>("PUT", "/api/me/phone", (reason === undefined ? { ready } : { ready, reason }) satisfies PhoneStateRequest)),
  /** 200 → won, with the ticket for the phone's connect; 409 → lost the race (not an error); anything else throws. */
  claim: async (callSid: string) => {
    const r = await call<ClaimResponse & ApiError>("POST", `/api/calls/${callSid}/claim`);
    if (r.status === 200 || r.status === 409) return r.body as ClaimResponse;
    throw new ApiFailure(r.status, r.body.error ?? "could not answer");
  },
  decline: async (callSid: string) => {
    const r = await call<ApiError>("POST", `/api/calls/${callSid}/decline`);
    if (r.status >= 400 && r.status !== 410) throw new ApiFailure(r.status, r.body.error ?? "could not decline");
  },
  /** The claim's winner could not connect: the call rings the others again at once. A gone call (410) is fine. */
  release: async (callSid: string, reason: string) => {
    const r = await call<ApiError>("POST", `/api/calls/${callSid}/release`, { reason } satisfies ReleaseRequest);
    if (r.status >= 400 && r.status !== 410) throw new ApiFailure(r.status, r.body.error ?? "could not give the call back");
  },
  /** The connected agent ends the call: the server hangs up the caller, and the conference ends. */
  /** An outbound call from the team's caller ID (a call-back when `voicemailId` names the voicemail). */
  dial: async (to: string, voicemailId?: string) =>
    ok(await call<DialResponse | ApiError>("POST", "/api/calls/dial", (voicemailId ? { to, voicemailId } : { to }) satisfies DialRequest)),
  hangup: async (callSid: string) => ok(await call<{ ended: true } | ApiError>("POST", `/api/calls/${callSid}/hangup`)),
  /** 200 → parked; 409 (lot full) and every other failure throw with the server's words. */
  park: async (callSid: string) => ok(await call<ParkResponse | ApiError>("POST", `/api/calls/${callSid}/park`)),
  /** 200 → won, with the ticket for the phone's connect; 409 → someone else retrieved it first (not an error); anything else throws. */
  retrieve: async (callSid: string) => {
    const r = await call<RetrieveResponse & ApiError>("POST", `/api/calls/${callSid}/retrieve`);
    if (r.status === 200 || (r.status === 409 && r.body.retrieved === false)) return r.body as RetrieveResponse;
    throw new ApiFailure(r.status, r.body.error ?? "could not retrieve the call");
  },
  transfer: async (callSid: string, to: string) =>
    ok(await call<TransferResponse | ApiError>("POST", `/api/calls/${callSid}/transfer`, { to } satisfies TransferRequest)),
  /** The outcomes a call's note may pick (the admin's list). */
  callOutcomes: async () => ok(await call<CallOutcomesBody | ApiError>("GET", "/api/settings/call-outcomes")),
  /** Saves my note and outcome for a call I answered (or whose note I wrote). */
  saveNote: async (callSid: string, note: string, outcome: string | null) =>
    ok(await call<{ note: CallNote } | ApiError>("PUT", `/api/calls/${callSid}/note`, { note, outcome } satisfies CallNoteRequest)),
  /** The voicemail inbox: assign (null: nobody), mark handled with an optional note, reopen. */
  assignVoicemail: async (id: string, agentId: string | null) =>
    ok(await call<VoicemailResponse | ApiError>("PUT", `/api/voicemails/${encodeURIComponent(id)}/assignee`, { agentId } satisfies VoicemailAssigneeRequest)),
  handleVoicemail: async (id: string, note: string) =>
    ok(await call<VoicemailResponse | ApiError>("POST", `/api/voicemails/${encodeURIComponent(id)}/handled`, (note.trim() ? { note } : {}) satisfies VoicemailHandledRequest)),
  reopenVoicemail: async (id: string) => ok(await call<VoicemailResponse | ApiError>("POST", `/api/voicemails/${encodeURIComponent(id)}/reopen`)),
  /** Whether answered calls are recorded, and the announcement callers hear (every agent may read it). */
  recordingSetting: async () => ok(await call<RecordingSettingBody | ApiError>("GET", "/api/settings/recording")),
  /** An admin turns recording on or off and words the announcement; a refusal throws with the server's words. */
  saveRecordingSetting: async (setting: RecordingSettingBody) => ok(await call<RecordingSettingBody | ApiError>("PUT", "/api/settings/recording", setting)),
  /** Supervisors and admins (403 for an agent): today so far, a period's summary and agents, the call log, a call's timeline. */
  reports: {
    today: async () => ok(await call<ReportTotals | ApiError>("GET", "/api/reports/today")),
    summary: async (query: string) => ok(await call<ReportSummary | ApiError>("GET", `/api/reports/summary?${query}`)),
    agents: async (query: string) => ok(await call<AgentReport | ApiError>("GET", `/api/reports/agents?${query}`)),
    calls: async (query: string) => ok(await call<CallLogPage | ApiError>("GET", `/api/reports/calls${query ? `?${query}` : ""}`)),
    timeline: async (callSid: string) => ok(await call<CallTimeline | ApiError>("GET", `/api/reports/calls/${encodeURIComponent(callSid)}`)),
  },
  /** The team's time zone, in which the reports count their days and hours ("UTC" until an admin sets it). */
  timeZone: async () => ok(await call<TimeZoneBody | ApiError>("GET", "/api/settings/time-zone")).timeZone,
  /** Admins only: the team's time zone (an IANA name); the server answers with it normalised. */
  saveTimeZone: async (timeZone: string) => ok(await call<TimeZoneBody | ApiError>("PUT", "/api/settings/time-zone", { timeZone } satisfies TimeZoneBody)).timeZone,
  voiceToken: async () => ok(await call<{ token: string }>("GET", "/api/voice-token")),
  placeTestCall: async (from: string) => ok(await call<{ callSid: string }>("POST", "/sim/calls", { from })),
  hangUpTestCall: async (callSid: string) => ok(await call<unknown>("POST", `/sim/calls/${callSid}/hangup`)),
};
