CREATE TABLE `sign_in_throttle` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`blocked_until` integer NOT NULL,
	`last_failure_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `agents` ADD `disabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `call_claims_claimed` ON `call_claims` (`claimed_at`);--> statement-breakpoint
CREATE INDEX `calls_ended` ON `calls` (`ended_at`);--> statement-breakpoint
CREATE INDEX `ring_events_at` ON `ring_events` (`at`);