import { mkdir, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import sparticuz from "@sparticuz/chromium";
import { chromium, type Browser } from "playwright-core";
import { tempDir } from "./tempDir.js";

/**
 * Headless Chromium from npm alone: `@sparticuz/chromium` unpacks its binary into the temp dir on
 * first use and `playwright-core` drives it. The binary brings no CJK font, so fontconfig is pointed
 * at the system's fonts plus Source Han Sans SC from `node-source-han-sans-sc` (the invoice PDFs'
 * font), and Chinese text renders in screenshots as it would on a phone.
 */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const fonts = await tempDir("buffmoney-browser-fonts-");
  const fontDir = dirname(createRequire(import.meta.url).resolve("node-source-han-sans-sc/package.json"));
  await mkdir(join(fonts.path, "fonts"));
  for (const face of ["Regular", "Bold"]) {
    const file = `SourceHanSansSC-${face}.otf`;
    await symlink(join(fontDir, file), join(fonts.path, "fonts", file));
  }
  const config = join(fonts.path, "fonts.conf");
  await writeFile(
    config,
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(fonts.path, "fonts")}</dir>
  <cachedir>${join(fonts.path, "cache")}</cachedir>
</fontconfig>
`,
  );
  const browser = await chromium.launch({
    executablePath: await sparticuz.executablePath(),
    args: [
      ...sparticuz.args,
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
    headless: true,
    env: { ...process.env, FONTCONFIG_FILE: config },
  });
  return {
    browser,
    async close() {
      await browser.close();
      await fonts.remove();
    },
  };
}
