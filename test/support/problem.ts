import { BuffMoneyError } from "@buffmoney/sdk";

/** The problem+json an SDK call ends with: its stable code and HTTP status ("none", 200 if it succeeded). */
export async function problemOf(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await promise;
    return { code: "none", status: 200 };
  } catch (error) {
    if (error instanceof BuffMoneyError) return { code: error.code, status: error.status };
    throw error;
  }
}
