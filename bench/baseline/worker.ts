// The user's plan's claim and notification path, faithfully, for comparison (bench/run.ts part 5).
//   POST /claim {callSid, agentId}  INSERT … ON CONFLICT (call_sid) DO NOTHING; 200 if the row is ours
//   GET /events?after=N             what a polling console reads every second
//   GET /feed (WebSocket)           a change feed: one poller reads new ring_events every
//                                   FEED_POLL_MS and pushes them, as a Postgres change feed does
// It keeps the plan's trust model (agentId from the body) because that is what is being measured.
import { DurableObject } from "cloudflare:workers";

interface Env {
  DB: D1Database;
  FEED: DurableObjectNamespace<ChangeFeed>;
  FEED_POLL_MS?: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true });
    if (url.pathname === "/claim" && request.method === "POST") {
      const { callSid, agentId } = (await request.json()) as { callSid: string; agentId: string };
      const now = Date.now();
      const [claim] = await env.DB.batch<{ claimed_by: string }>([
        env.DB.prepare(
          "INSERT INTO call_claims (call_sid, claimed_by, claimed_at, expires_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (call_sid) DO NOTHING RETURNING claimed_by",
        ).bind(callSid, agentId, now, now + 30_000),
      ]);
      if (!claim?.results.length) return Response.json({ claimed: false }, { status: 409 });
      await env.DB.prepare("INSERT INTO ring_events (call_sid, agent_id, event_type, created_at) VALUES (?1, ?2, 'answered', ?3)").bind(callSid, agentId, now).run();
      return Response.json({ claimed: true });
    }
    if (url.pathname === "/events") {
      const after = Number(url.searchParams.get("after") ?? "0");
      const { results } = await env.DB.prepare("SELECT id, call_sid, agent_id, event_type FROM ring_events WHERE id > ?1 ORDER BY id LIMIT 500").bind(after).all();
      return Response.json({ events: results });
    }
    if (url.pathname === "/feed") return env.FEED.getByName("feed").fetch(request);
    return new Response("not found", { status: 404 });
  },
};

/** The change feed: polls ring_events and pushes every new row to every subscriber. */
export class ChangeFeed extends DurableObject<Env> {
  private last = -1;
  private polling = false;

  async fetch(): Promise<Response> {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    if (this.last < 0) {
      const row = await this.env.DB.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM ring_events").first<{ id: number }>();
      this.last = row?.id ?? 0;
    }
    if (!this.polling) {
      this.polling = true;
      void this.poll();
    }
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private async poll(): Promise<void> {
    const every = Number(this.env.FEED_POLL_MS ?? "100");
    while (this.ctx.getWebSockets().length > 0) {
      const { results } = await this.env.DB.prepare("SELECT id, call_sid, agent_id, event_type FROM ring_events WHERE id > ?1 ORDER BY id LIMIT 500")
        .bind(this.last)
        .all<{ id: number }>();
      for (const row of results) {
        this.last = Math.max(this.last, row.id);
        const text = JSON.stringify(row);
        for (const ws of this.ctx.getWebSockets()) ws.send(text);
      }
      await new Promise((r) => setTimeout(r, every));
    }
    this.polling = false;
  }
}
