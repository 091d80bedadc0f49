CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text DEFAULT 'agent' NOT NULL,
	`available` integer DEFAULT false NOT NULL,
	`current_call_sid` text,
	`last_call_ended_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_email` ON `agents` (`email`);--> statement-breakpoint
CREATE TABLE `call_claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_sid` text NOT NULL,
	`agent_id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`outcome` text,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `call_claims_once` ON `call_claims` (`call_sid`,`agent_id`,`claimed_at`);--> statement-breakpoint
CREATE TABLE `calls` (
	`call_sid` text PRIMARY KEY NOT NULL,
	`from_number` text NOT NULL,
	`to_number` text NOT NULL,
	`status` text NOT NULL,
	`outcome` text,
	`answered_by` text,
	`started_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	`seq` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `calls_started` ON `calls` (`started_at`);--> statement-breakpoint
CREATE TABLE `parked_calls` (
	`call_sid` text PRIMARY KEY NOT NULL,
	`slot` integer NOT NULL,
	`parked_by` text NOT NULL,
	`parked_at` integer NOT NULL,
	`return_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `parked_calls_slot` ON `parked_calls` (`slot`);--> statement-breakpoint
CREATE TABLE `ring_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`call_sid` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`agent_id` text,
	`detail` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ring_events_call_seq` ON `ring_events` (`call_sid`,`seq`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_agent` ON `sessions` (`agent_id`);--> statement-breakpoint
CREATE TABLE `voicemails` (
	`id` text PRIMARY KEY NOT NULL,
	`call_sid` text NOT NULL,
	`recording_sid` text NOT NULL,
	`recording_url` text NOT NULL,
	`duration_seconds` integer NOT NULL,
	`transcription` text,
	`transcription_status` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `voicemails_recording` ON `voicemails` (`recording_sid`);--> statement-breakpoint
CREATE INDEX `voicemails_created` ON `voicemails` (`created_at`);