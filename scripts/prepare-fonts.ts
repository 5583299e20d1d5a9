/**
 * Makes sure the report charts (src/reports/chart.ts) can draw Chinese: finds a CJK font
 * (REPORT_FONT, the user cache folder, Debian's fonts) or puts one in the user cache folder, where
 * src/reports/fonts.ts looks. Needs no root and only package registries, so it works on CI and on a
 * fresh developer machine: Debian's fonts-wqy-microhei through `apt-get download` (1.6 MB; works
 * without root wherever apt's package lists exist), else Source Han Sans SC from the npm package
 * node-source-han-sans-sc (SIL OFL 1.1; a 180 MB download of which the 17 MB regular face is kept).
 * Prints one line; fast when the font is already there.
 * Usage: npx tsx scripts/prepare-fonts.ts
 */
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage, oneLine, run } from '../dev/support.js';
import { findFontFiles, fontCacheDir, loadFonts } from '../src/reports/fonts.js';

const DEBIAN_PACKAGE = 'fonts-wqy-microhei';
const DEBIAN_FONT = 'usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const NPM_PACKAGE = 'node-source-han-sans-sc@1.1.0-2.001R';
const NPM_FONT = 'package/SourceHanSansSC-Regular.otf';
const TIMEOUT_MS = 10 * 60_000;

/** Each way of getting a CJK font into a work folder, tried in order; returns the font file. */
const SOURCES: { name: string; fetch: (work: string) => Promise<string> }[] = [
  {
    name: `Debian package ${DEBIAN_PACKAGE}`,
    fetch: async (work) => {
      await exec('apt-get', ['download', DEBIAN_PACKAGE], work);
      const deb = (await readdir(work)).find((name) => name.endsWith('.deb'));
      if (!deb) throw new Error('`apt-get download` left no .deb');
      await exec('dpkg-deb', ['-x', deb, 'root'], work);
      return join(work, 'root', DEBIAN_FONT);
    },
  },
  {
    name: `npm package ${NPM_PACKAGE}`,
    fetch: async (work) => {
      await exec('npm', ['pack', NPM_PACKAGE, '--silent', '--no-audit', '--no-fund'], work);
      const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
      if (!tarball) throw new Error('`npm pack` left no .tgz');
      await exec('tar', ['-xzf', tarball, NPM_FONT], work);
      return join(work, NPM_FONT);
    },
  },
];

function exec(cmd: string, args: string[], cwd: string): Promise<void> {
  return run(cmd, args, { cwd, env: process.env, timeoutMs: TIMEOUT_MS });
}

function cjkFont(): string | undefined {
  return findFontFiles().find((file) => loadFonts([file]).cjk);
}

/** Fetches into a work folder inside the cache folder, then renames, so a half-copied font is never found. */
async function fetchFont(): Promise<{ file: string; source: string }> {
  const dir = fontCacheDir();
  await mkdir(dir, { recursive: true });
  const failures: string[] = [];
  for (const source of SOURCES) {
    const work = await mkdtemp(join(dir, '.download-'));
    try {
      const font = await source.fetch(work);
      if (!loadFonts([font]).cjk) throw new Error(`${basename(font)} has no Chinese glyphs`);
      const file = join(dir, basename(font));
      await copyFile(font, join(work, 'font.tmp'));
      await rename(join(work, 'font.tmp'), file);
      return { file, source: source.name };
    } catch (err) {
      failures.push(`${source.name}: ${oneLine(errorMessage(err))}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  throw new Error(`no CJK font for the report charts could be fetched (${failures.join('; ')}); install fonts-wqy-microhei or set REPORT_FONT to a CJK font file`);
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
try {
  const found = cjkFont();
  if (found) {
    console.log(`CJK font for report charts found in ${seconds()} s: ${found}`);
  } else {
    const { file, source } = await fetchFont();
    console.log(`CJK font for report charts fetched from ${source} in ${seconds()} s: ${file}`);
  }
} catch (err) {
  console.error(errorMessage(err));
  process.exitCode = 1;
}
