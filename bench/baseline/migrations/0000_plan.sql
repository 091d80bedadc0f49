-- The plan's tables, in SQLite: one claim per call (the unique call_sid decides), and ring events
-- that the consoles follow.
CREATE TABLE call_claims (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_sid TEXT NOT NULL UNIQUE,
  claimed_by TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'claimed'
);
CREATE TABLE ring_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  call_sid TEXT NOT NULL,
  agent_id TEXT,
  event_type TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
