CREATE TABLE `call_recordings` (
	`recording_sid` text PRIMARY KEY NOT NULL,
	`call_sid` text NOT NULL,
	`duration_seconds` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_recordings_call` ON `call_recordings` (`call_sid`);--> statement-breakpoint
CREATE INDEX `call_recordings_created` ON `call_recordings` (`created_at`);--> statement-breakpoint
ALTER TABLE `calls` ADD `direction` text DEFAULT 'inbound' NOT NULL;--> statement-breakpoint
ALTER TABLE `calls` ADD `dialed_by` text;--> statement-breakpoint
ALTER TABLE `calls` ADD `dial_result` text;--> statement-breakpoint
ALTER TABLE `calls` ADD `recorded` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `status` text DEFAULT 'new' NOT NULL;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `assigned_to` text;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `handled_by` text;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `handled_at` integer;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `handled_note` text;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `called_back_by` text;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `called_back_at` integer;--> statement-breakpoint
ALTER TABLE `voicemails` ADD `callback_call_sid` text;--> statement-breakpoint
CREATE INDEX `voicemails_status` ON `voicemails` (`status`,`created_at`);