#!/usr/bin/env node
// The package's `bin` entry (`npx buffmoney …`): registers tsx's ESM loader so Node can run the
// TypeScript CLI beside it, then runs it.
import { register } from "tsx/esm/api";

register();
await import("./buffmoney.ts");
