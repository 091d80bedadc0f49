import type { CallSession } from "./call/CallSession";
import type { Switchboard } from "./switchboard/Switchboard";
import type { SimCall } from "../simulator/SimCall";
import type { SimCarrier } from "../simulator/SimCarrier";
import type { SimConference } from "../simulator/SimConference";

export interface Env {
  DB: D1Database;
  CALLS: DurableObjectNamespace<CallSession>;
  SWITCHBOARD: DurableObjectNamespace<Switchboard>;
  /** The built-in carrier simulator (simulator/), used only with CARRIER=simulator. */
  SIM_CALLS: DurableObjectNamespace<SimCall>;
  SIM_CARRIER: DurableObjectNamespace<SimCarrier>;
  /** The simulator's conferences, one object per friendly name. */
  SIM_CONFERENCES: DurableObjectNamespace<SimConference>;
  /** Simulated seconds per real second for simulated calls (default 1). */
  SIMULATOR_SPEED?: string;
  /** Real milliseconds between a simulated phone's connect and the TwiML App request (default 400; not scaled). */
  SIMULATOR_CONNECT_DELAY_MS?: string;
  /** "false" lets the simulator serve recording media without credentials (Twilio's "HTTP auth for media" off); default on. */
  SIMULATOR_MEDIA_AUTH?: string;
  /**
   * "twilio" (needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) or "simulator" (the built-in carrier
   * simulator, local development only). Unset or anything else: the worker refuses calls.
   */
  CARRIER?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_API_KEY_SID?: string;
  TWILIO_API_KEY_SECRET?: string;
  TWILIO_TWIML_APP_SID?: string;
  /** The origin Twilio reaches this worker at (a tunnel or custom domain); signatures are checked against it. */
  PUBLIC_URL?: string;
  /** Extra host names (comma-separated) a CARRIER=simulator server answers for, besides localhost and PUBLIC_URL's. */
  ALLOWED_HOSTS?: string;
  TWILIO_API_BASE?: string;
  /** The longest a caller waits for an agent (default 60). */
  RING_TIMEOUT_SECONDS?: string;
  /** Seconds without a Twilio callback before a call session asks Twilio where the call is (default 60). */
  RECONCILE_SECONDS?: string;
  /** Seconds one REST request to Twilio may take (default 10). */
  TWILIO_REST_TIMEOUT_SECONDS?: string;
  /** What a caller hears first while waiting for an agent. */
  LOBBY_GREETING?: string;
  CLAIM_LEASE_SECONDS?: string;
  CONSOLE_PING_TIMEOUT_SECONDS?: string;
  SESSION_TTL_HOURS?: string;
  VOICEMAIL_GREETING?: string;
  VOICEMAIL_MAX_SECONDS?: string;
  /** How many calls the parking lot holds (default 10). */
  PARK_SLOTS?: string;
  /** Seconds a parked call waits before it rings again (default 180). */
  PARK_TIMEOUT_SECONDS?: string;
  /** Seconds of wrap-up after a connected call ends, when the agent is not rung (default 30; 0: off). */
  WRAP_UP_SECONDS?: string;
  /** The caller ID of outbound calls: a number of the Twilio account (the simulator's own by default). */
  OUTBOUND_CALLER_ID?: string;
  /** Seconds Twilio rings an outbound call's callee (default 30). */
  DIAL_TIMEOUT_SECONDS?: string;
  /** Number prefixes agents may call, "+1, +44" (default: any; Twilio's geographic permissions still apply). */
  DIAL_ALLOWED_PREFIXES?: string;
  /** Rings in a row an agent lets time out before they are set away, "Missed 3 calls" (default 3; 0: off). */
  AUTO_PAUSE_AFTER?: string;
  /** The reports' service level threshold: answered within this many seconds counts as in service (default 20). */
  SERVICE_LEVEL_SECONDS?: string;
  /** Callers who hang up while waiting within this many seconds are left out of the service level (default 0: none). */
  SHORT_ABANDON_SECONDS?: string;
  /** Audio file a parked caller hears, looped (default: the worker's own /audio/hold.wav). */
  HOLD_MUSIC_URL?: string;
  /** Days a voicemail is kept (its recording deleted at the carrier, then the row; default 90). */
  VOICEMAIL_RETENTION_DAYS?: string;
  /** Days a call's recording is kept (deleted at the carrier, then the row; default: VOICEMAIL_RETENTION_DAYS). */
  RECORDING_RETENTION_DAYS?: string;
  /** Days an ended call's row and its claims are kept (default 400; a call with a voicemail stays as long as it). */
  CALL_RETENTION_DAYS?: string;
  /** Days ring events (the per-call audit trail) are kept (default 90). */
  RING_EVENT_RETENTION_DAYS?: string;
  /** Days a call session's own storage is kept after its call ended (default 2). */
  CALL_SESSION_RETENTION_DAYS?: string;
  /** "warn" or "error" drops the info lines (one per decision); default "info". */
  LOG_LEVEL?: string;
  /** "true" seeds an admin and three demo agents into an empty database, with CARRIER=simulator only (npm run dev sets it). */
  DEMO_AGENTS?: string;
  /** Bootstrap admin for a fresh production database (wrangler secrets). */
  ADMIN_EMAIL?: string;
  ADMIN_PASSWORD?: string;
}
