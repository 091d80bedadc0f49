CREATE TABLE `agent_state_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`agent_id` text NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`reason` text,
	`started_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE INDEX `agent_state_log_open` ON `agent_state_log` (`agent_id`,`kind`,`ended_at`);--> statement-breakpoint
CREATE INDEX `agent_state_log_started` ON `agent_state_log` (`started_at`);--> statement-breakpoint
CREATE TABLE `missed_rings` (
	`call_sid` text NOT NULL,
	`agent_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `missed_rings_once` ON `missed_rings` (`call_sid`,`agent_id`,`at`);--> statement-breakpoint
CREATE INDEX `missed_rings_at` ON `missed_rings` (`at`);--> statement-breakpoint
CREATE TABLE `talk_segments` (
	`call_sid` text NOT NULL,
	`agent_id` text NOT NULL,
	`purpose` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `talk_segments_once` ON `talk_segments` (`call_sid`,`agent_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `talk_segments_started` ON `talk_segments` (`started_at`);--> statement-breakpoint
CREATE INDEX `talk_segments_agent` ON `talk_segments` (`agent_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `ring_events_type_at` ON `ring_events` (`type`,`at`);