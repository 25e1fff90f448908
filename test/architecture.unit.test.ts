import { readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * DESIGN.md, "Folders and who may import whom": which of our folders each folder may import.
 * A folder may always import itself; third-party packages and node: builtins are always fine.
 */
const mayImport = {
  domain: [],
  machines: ["domain"],
  wal: ["domain"],
  snapshots: ["wal", "machines", "domain"],
  actors: ["snapshots", "wal", "machines", "domain"],
  channels: ["domain"],
  effects: ["domain"],
  // "actors/ and below, never wal/ directly".
  api: ["actors", "snapshots", "machines", "domain"],
  sdk: [],
  bin: "everything",
  test: "everything",
  bench: "everything",
} as const satisfies Record<string, readonly string[] | "everything">;

type Folder = keyof typeof mayImport;

/** Repository files outside every folder of the table (tool configs) are not layered. */
const rootFolder = "(root)";
const outsideFolder = "(outside the repository)";
const sourceExtension = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const skippedDirectories = new Set(["node_modules", "dist", "coverage", "data"]);

interface SourceFile {
  /** Repository-relative, "/"-separated: "api/idempotency.ts". */
  path: string;
  text: string;
}

interface ImportEdge {
  from: string;
  to: string;
  fromFolder: string;
  toFolder: string;
}

interface Report {
  violations: string[];
  cycles: string[];
}

function isFolder(name: string): name is Folder {
  return Object.hasOwn(mayImport, name);
}

function folderOf(path: string): string {
  if (path === ".." || path.startsWith("../")) return outsideFolder;
  const slash = path.indexOf("/");
  return slash === -1 ? rootFolder : path.slice(0, slash);
}

/** Every module specifier a file names: static and type-only imports, re-exports, import(), require(), import types. */
function specifiersOf(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const found = source.referencedFiles.map((reference) => reference.fileName);
  const stringOf = (node: ts.Node | undefined) =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
  const stack: ts.Node[] = [source];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    let specifier: string | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      specifier = stringOf(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      specifier = stringOf(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      if (isImport || isRequire) specifier = stringOf(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifier = stringOf(node.argument.literal);
    }
    if (specifier !== undefined) found.push(specifier);
    ts.forEachChild(node, (child) => {
      stack.push(child);
    });
  }
  return found;
}

/**
 * Resolves a specifier to a repository-relative path, or undefined for a third-party package or
 * builtin. `workspaces` maps our own package names ("@buffmoney/sdk") to their folder.
 */
function resolve(
  from: string,
  specifier: string,
  known: ReadonlySet<string>,
  workspaces: ReadonlyMap<string, string>,
): string | undefined {
  let target: string;
  if (specifier.startsWith("./") || specifier.startsWith("../") || specifier === "." || specifier === "..") {
    target = posix.normalize(posix.join(posix.dirname(from), specifier));
  } else {
    const name = [...workspaces.keys()].find((n) => specifier === n || specifier.startsWith(`${n}/`));
    if (name === undefined) return undefined;
    target = posix.normalize(posix.join(workspaces.get(name) ?? ".", specifier.slice(name.length)));
  }
  const candidates = [
    target,
    target.replace(/\.js$/, ".ts"),
    target.replace(/\.js$/, ".tsx"),
    target.replace(/\.mjs$/, ".mts"),
    target.replace(/\.cjs$/, ".cts"),
    `${target}.ts`,
    `${target}/index.ts`,
    `${target}/src/index.ts`,
  ];
  return candidates.find((candidate) => known.has(candidate)) ?? target;
}

function ruleFor(folder: string): string {
  if (!isFolder(folder)) return `${folder} is not a folder of DESIGN.md's table`;
  const allowed = mayImport[folder];
  if (allowed === "everything") return `${folder} may import everything`;
  return allowed.length === 0
    ? `${folder} may import nothing of ours outside ${folder}/`
    : `${folder} may import only ${allowed.join(", ")}`;
}

function allows(fromFolder: string, toFolder: string): boolean {
  if (fromFolder === rootFolder) return toFolder !== outsideFolder;
  if (!isFolder(fromFolder)) return false;
  if (fromFolder === toFolder) return true;
  const allowed: readonly string[] | "everything" = mayImport[fromFolder];
  return allowed === "everything" ? toFolder !== outsideFolder : allowed.includes(toFolder);
}

/** Strongly connected components of the folder graph with more than one folder (Tarjan, iterative). */
function folderCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.fromFolder === e.toFolder) continue;
    if (!next.has(e.fromFolder)) next.set(e.fromFolder, new Set());
    if (!next.has(e.toFolder)) next.set(e.toFolder, new Set());
    next.get(e.fromFolder)?.add(e.toFolder);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of [...next.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; children: string[] }> = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter += 1;
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: [...(next.get(node) ?? [])].sort() });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const child = frame.children.shift();
      if (child !== undefined) {
        if (!index.has(child)) enter(child);
        else if (onStack.has(child))
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(child) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === frame.node) break;
      }
      if (component.length > 1) components.push(component.sort());
    }
  }
  return components;
}

/** Checks every import of `files` against the table; lists violations and folder cycles. */
function checkImports(
  files: readonly SourceFile[],
  workspaces: ReadonlyMap<string, string> = new Map(),
): Report {
  const known = new Set(files.map((f) => f.path));
  const edges: ImportEdge[] = [];
  for (const file of files) {
    for (const specifier of specifiersOf(file.path, file.text)) {
      const to = resolve(file.path, specifier, known, workspaces);
      if (to === undefined) continue;
      edges.push({ from: file.path, to, fromFolder: folderOf(file.path), toFolder: folderOf(to) });
    }
  }
  const violations = edges
    .filter((e) => !allows(e.fromFolder, e.toFolder))
    .map((e) => `${e.from} → ${e.to} (${ruleFor(e.fromFolder)})`);
  const cycles = folderCycles(edges).map((component) => {
    const inside = edges.filter(
      (e) =>
        e.fromFolder !== e.toFolder && component.includes(e.fromFolder) && component.includes(e.toFolder),
    );
    const examples = new Map<string, string>();
    for (const e of inside) {
      const pair = `${e.fromFolder} → ${e.toFolder}`;
      if (!examples.has(pair)) examples.set(pair, `${pair} (${e.from} → ${e.to})`);
    }
    return `cycle between ${component.join(", ")}: ${[...examples.values()].join("; ")}`;
  });
  return { violations: [...new Set(violations)], cycles };
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function readRepository(): SourceFile[] {
  const files: SourceFile[] = [];
  const pending = [""];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of readdirSync(posix.join(repoRoot, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && !skippedDirectories.has(entry.name)) pending.push(path);
      } else if (entry.isFile() && sourceExtension.test(entry.name)) {
        files.push({ path, text: readFileSync(posix.join(repoRoot, path), "utf8") });
      }
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Our own packages by name (the root package and its workspaces), mapped to their folder. */
function readWorkspaces(): Map<string, string> {
  const manifest = (dir: string) =>
    JSON.parse(readFileSync(posix.join(repoRoot, dir, "package.json"), "utf8")) as {
      name: string;
      workspaces?: string[];
    };
  const root = manifest(".");
  const named = new Map<string, string>([[root.name, "."]]);
  for (const dir of root.workspaces ?? []) named.set(manifest(dir).name, dir);
  return named;
}

describe("folder import rules (DESIGN.md)", () => {
  const files = readRepository();
  const report = checkImports(files, readWorkspaces());

  it("reads the folders of the table", () => {
    const folders = new Set(files.map((f) => folderOf(f.path)));
    for (const folder of ["domain", "machines", "wal", "actors", "api", "sdk", "bin", "test"]) {
      expect(folders, `no source files found in ${folder}/`).toContain(folder);
    }
  });

  it("has no import that points up the table", () => {
    expect(report.violations, `folder import violations:\n${report.violations.join("\n")}`).toEqual([]);
  });

  it("has no import cycle between folders", () => {
    expect(report.cycles, `folder import cycles:\n${report.cycles.join("\n")}`).toEqual([]);
  });
});

describe("the import checker", () => {
  const workspaces = new Map([
    ["buffmoney", "."],
    ["@buffmoney/sdk", "sdk"],
  ]);

  it("sees every kind of import, including type-only ones", () => {
    const text = [
      '/// <reference path="./l.d.ts" />',
      'import a from "./a.js";',
      'import type { B } from "./b.js";',
      'import { type C } from "./c.js";',
      'import "./d.js";',
      'export { e } from "./e.js";',
      'export type * from "./f.js";',
      'const g = await import("./g.js");',
      'type H = typeof import("./h.js");',
      'type I = import("./i.js").I;',
      'import J = require("./j.js");',
      'const k = require("./k.js");',
      'const notAnImport = "./m.js";',
    ].join("\n");
    expect(specifiersOf("x/file.ts", text).sort()).toEqual(
      ["./a.js", "./b.js", "./c.js", "./d.js", "./e.js", "./f.js", "./g.js", "./h.js"]
        .concat(["./i.js", "./j.js", "./k.js", "./l.d.ts"])
        .sort(),
    );
  });

  it("allows what the table allows", () => {
    const report = checkImports(
      [
        {
          path: "domain/money.ts",
          text: 'import { x } from "./rating/index.js"; import Decimal from "decimal.js";',
        },
        { path: "domain/rating/index.ts", text: "export const x = 1;" },
        {
          path: "machines/wallet.ts",
          text: 'import { x } from "../domain/rating/index.js"; import "xstate";',
        },
        { path: "actors/runtime.ts", text: 'import "../wal/log.js"; import "../snapshots/load.js";' },
        {
          path: "api/app.ts",
          text: 'import "../actors/index.js"; import "node:http"; import "../machines/wallet.js";',
        },
        { path: "sdk/src/index.ts", text: 'import "./client.js";' },
        {
          path: "test/e2e.test.ts",
          text: 'import "@buffmoney/sdk"; import "../wal/index.js"; import "../api/app.js";',
        },
        { path: "bin/server.ts", text: 'import "../api/app.js"; import "../channels/index.js";' },
        { path: "vitest.config.ts", text: 'import "vitest/config";' },
      ],
      workspaces,
    );
    expect(report).toEqual({ violations: [], cycles: [] });
  });

  it("catches planted violations, naming the file, the imported file and the rule", () => {
    const report = checkImports(
      [
        { path: "domain/money.ts", text: 'import type { Log } from "../wal/log.js";' },
        { path: "wal/log.ts", text: 'import { limits } from "../domain/limits.js";' },
        { path: "domain/limits.ts", text: "export const limits = {};" },
        { path: "api/idempotency.ts", text: 'import type { IndexOp } from "../wal/record.js";' },
        { path: "wal/record.ts", text: "export type IndexOp = string;" },
        { path: "actors/outbox.ts", text: 'export { send } from "../effects/webhooks.js";' },
        { path: "effects/webhooks.ts", text: "export const send = 1;" },
        { path: "sdk/src/http.ts", text: 'const { limits } = await import("../../domain/limits.js");' },
        { path: "channels/wechat.ts", text: 'import "buffmoney/api/app.js";' },
        { path: "scripts/seed.ts", text: 'import "../domain/limits.js";' },
      ],
      workspaces,
    );
    expect(report.violations.sort()).toEqual(
      [
        "domain/money.ts → wal/log.ts (domain may import nothing of ours outside domain/)",
        "api/idempotency.ts → wal/record.ts (api may import only actors, snapshots, machines, domain)",
        "actors/outbox.ts → effects/webhooks.ts (actors may import only snapshots, wal, machines, domain)",
        "sdk/src/http.ts → domain/limits.ts (sdk may import nothing of ours outside sdk/)",
        "channels/wechat.ts → api/app.js (channels may import only domain)",
        "scripts/seed.ts → domain/limits.ts (scripts is not a folder of DESIGN.md's table)",
      ].sort(),
    );
    expect(report.cycles).toEqual([
      "cycle between domain, wal: domain → wal (domain/money.ts → wal/log.ts); wal → domain (wal/log.ts → domain/limits.ts)",
    ]);
  });

  it("finds a cycle through several folders", () => {
    const report = checkImports([
      { path: "machines/a.ts", text: 'import "../snapshots/b.js";' },
      { path: "snapshots/b.ts", text: 'import "../actors/c.js";' },
      { path: "actors/c.ts", text: 'import "../machines/a.js";' },
    ]);
    expect(report.cycles).toHaveLength(1);
    expect(report.cycles[0]).toMatch(/^cycle between actors, machines, snapshots: /);
  });
});
