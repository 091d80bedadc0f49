CREATE INDEX `agent_state_log_kind_ended` ON `agent_state_log` (`kind`,`ended_at`);--> statement-breakpoint
CREATE INDEX `calls_started_sid` ON `calls` (`started_at`,`call_sid`);--> statement-breakpoint
CREATE INDEX `talk_segments_ended` ON `talk_segments` (`ended_at`);