import { randomInt } from "node:crypto";

const alphanumerics = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` characters from `[0-9A-Za-z]`, as WeChat nonces are. */
export function randomAlphanumeric(length = 32): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphanumerics[randomInt(alphanumerics.length)];
  return out;
}

export function randomDigits(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}
