import type { Environment, IsoTimestamp } from "./types.js";

export interface WebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  url: string;
  /** Event types it receives, or ["*"] for all. */
  eventTypes: string[];
  description: string | null;
  environment: Environment;
  /** A failing endpoint is disabled after about three days of failed retries; enable it again. */
  status: "enabled" | "disabled";
  disabledReason: "manual" | "failing" | null;
  createdAt: IsoTimestamp;
}

/** As created or after a rotation: the signing secret is shown only here. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** whsec_…: verify deliveries with it (`verifyWebhook`). */
  secret: string;
}

export interface WebhookAttempt {
  at: IsoTimestamp;
  statusCode: number | null;
  /** timeout, connection_refused, … when no status came. */
  error: string | null;
  latencyMs: number;
  /** At most 1 KB of the response body. */
  responseExcerpt: string;
}

export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed";

interface WebhookDeliveryFields {
  id: string;
  object: "webhook_delivery";
  endpointId: string;
  eventId: string;
  eventType: string;
  sequence: number;
  status: WebhookDeliveryStatus;
  replay: boolean;
  attemptCount: number;
  nextAttemptAt: IsoTimestamp | null;
  createdAt: IsoTimestamp;
}

export interface WebhookDeliverySummary extends WebhookDeliveryFields {
  lastAttempt: WebhookAttempt | null;
}

export interface WebhookDelivery extends WebhookDeliveryFields {
  /** The latest 50, oldest first. */
  attempts: WebhookAttempt[];
}

export interface WebhookReplay {
  object: "webhook_replay";
  endpointId: string;
  /** Deliveries created (at most 1,000 per call). */
  deliveries: number;
  fromSequence: number;
  /** Continue with fromSequence = this + 1 while hasMore. */
  throughSequence: number;
  hasMore: boolean;
}

export interface WebhookEndpointHealth {
  object: "webhook_endpoint_health";
  endpointId: string;
  /** Failed attempts since the last success. */
  consecutiveFailures: number;
  failingSince: IsoTimestamp | null;
  lastSucceededAt: IsoTimestamp | null;
}
