/**
 * Makes sure the status page's browser test (test/http/status-page.e2e.test.ts) has a headless
 * Chromium, Debian's `chromium` package (a browser build downloaded by a tool of its own cannot be
 * fetched here), and a system font with Chinese glyphs (`fonts-wqy-microhei`), without which the
 * Chinese page's screenshot shows boxes. Finds them, else installs what is missing when running as
 * root, running `apt-get update` only when the install fails for want of package lists. Prints one
 * line; fast when both are there.
 * Usage: npx tsx scripts/prepare-chromium.ts
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { errorMessage, oneLine, run } from '../dev/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT_MS = 15 * 60_000;

/** What the test needs, how to see it is there, and the Debian package that brings it. */
const NEEDS: { name: string; pkg: string; present: () => Promise<boolean> }[] = [
  { name: `Chromium (${CHROMIUM})`, pkg: 'chromium', present: () => access(CHROMIUM, constants.X_OK).then(() => true, () => false) },
  { name: 'a Chinese font', pkg: 'fonts-wqy-microhei', present: chineseFont },
];

/** fontconfig knows a font covering Chinese (what Chromium draws the zh-CN page with). */
async function chineseFont(): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('fc-list', [':lang=zh', 'family']);
    return stdout.trim().length > 0;
  } catch {
    return false;
  }
}

function aptInstall(packages: string[]): Promise<void> {
  return run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: TIMEOUT_MS });
}

/** apt's answer when its package lists are missing or too old to know the package or its files. */
function missingLists(error: unknown): boolean {
  return /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found/i.test(errorMessage(error));
}

async function install(packages: string[]): Promise<string> {
  try {
    await aptInstall(packages);
    return 'installed';
  } catch (error) {
    if (!missingLists(error)) throw error;
    await run('apt-get', ['update'], { env: process.env, timeoutMs: TIMEOUT_MS });
    await aptInstall(packages);
    return 'installed after apt-get update';
  }
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
try {
  const missing = [];
  for (const need of NEEDS) if (!(await need.present())) missing.push(need);
  if (missing.length === 0) {
    console.log(`Chromium and a Chinese font for the status page test found in ${seconds()} s: ${CHROMIUM}`);
  } else if (process.getuid?.() !== 0) {
    const pkgs = missing.map((n) => n.pkg).join(' ');
    throw new Error(`missing ${missing.map((n) => n.name).join(' and ')}, and this is not root: run \`sudo apt-get install -y --no-install-recommends ${pkgs}\``);
  } else {
    const how = await install(missing.map((n) => n.pkg));
    const still = [];
    for (const need of missing) if (!(await need.present())) still.push(need.name);
    if (still.length > 0) throw new Error(`apt-get ${how} ${missing.map((n) => n.pkg).join(' ')}, but ${still.join(' and ')} is still missing`);
    console.log(`Chromium and a Chinese font for the status page test: ${missing.map((n) => n.pkg).join(', ')} ${how} in ${seconds()} s (${CHROMIUM})`);
  }
} catch (err) {
  console.error(`Chromium for the status page test: ${oneLine(errorMessage(err))}`);
  process.exitCode = 1;
}
