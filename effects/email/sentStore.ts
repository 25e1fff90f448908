/**
 * The durable record of which outbox events already produced an email. The production store is
 * LevelDB-backed and lives with the outbox; tests use `createInMemorySentStoreForTests`.
 */
export type SentStore = {
  wasSent(eventId: string): Promise<boolean>;
  /** Must be durable (fsynced) before it resolves. */
  markSent(eventId: string, info: SentInfo): Promise<void>;
};

/** What the SMTP server told us when it accepted the message; plain data, safe to persist. */
export type SentInfo = {
  messageId: string;
  accepted: string[];
  rejected: string[];
  /** The server's final reply, e.g. "250 OK: queued as 1A2B3C". */
  response: string;
  attempts: number;
};
