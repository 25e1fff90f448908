import { expect } from "vitest";
import { AuditLedger, verifyLedger } from "../../snapshots/audit/index.js";

/** The audit tool's `verify` on a (stopped) server's data directory: no finding, ok. */
export async function expectAuditClean(dataDir: string): Promise<void> {
  const ledger = await AuditLedger.open(dataDir);
  try {
    const report = await verifyLedger(ledger);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  } finally {
    await ledger.close();
  }
}
