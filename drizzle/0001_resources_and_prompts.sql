ALTER TABLE "service_tools" ADD COLUMN "resources" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "service_tools" ADD COLUMN "resource_templates" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "service_tools" ADD COLUMN "prompts" jsonb DEFAULT '[]'::jsonb NOT NULL;