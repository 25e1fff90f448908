/**
 * GBK, which Alipay's bill files use. Node decodes it (WHATWG TextDecoder) but cannot encode it,
 * so the encoder is the decoder's table turned around, built once on first use (~22k entries).
 */

let encodeTable: Map<string, number> | null = null;

function table(): Map<string, number> {
  if (encodeTable) return encodeTable;
  const decoder = new TextDecoder("gbk");
  const map = new Map<string, number>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const char = decoder.decode(Uint8Array.of(lead, trail));
      if (char.length === 1 && char !== "\uFFFD" && !map.has(char)) map.set(char, (lead << 8) | trail);
    }
  }
  encodeTable = map;
  return map;
}

/** Characters outside GBK become `?`. */
export function encodeGbk(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0x3f;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const pair = table().get(char);
    if (pair === undefined) bytes.push(0x3f);
    else bytes.push(pair >> 8, pair & 0xff);
  }
  return Buffer.from(bytes);
}

export function decodeGbk(bytes: Uint8Array): string {
  return new TextDecoder("gbk").decode(bytes);
}
