/**
 * `npm start`. Compiles the bot's TypeScript (src/, commands/, adapters/, dev/) to JavaScript in
 * `.build/` with esbuild, the transpiler tsx uses, ahead of time (about a second), then runs `.build/dev/start.js` in this same process with plain
 * node: it starts the development database unless MONGODB_URI is set, then the bot.
 *
 * Why not `tsx dev/start.ts`: tsx compiles each module as it loads, through loader hooks that run on
 * a thread of their own, and keeps what it compiled; under a burst of reports that cost the bot about
 * 65 MB of its resident memory (issue 11 asks for 300 MB at most). Type checking is `npm test`'s job.
 *
 *   node scripts/start.mjs               compile, then run
 *   node scripts/start.mjs --build-only  compile only (the chart test runs the compiled build itself)
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_DIR = join(ROOT, '.build');
const SOURCES = ['src', 'commands', 'adapters', 'dev'];

/** Every TypeScript source of the bot (no declaration files), relative to the project. */
function sources() {
  return SOURCES.flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      .map((entry) => relative(ROOT, join(entry.parentPath ?? entry.path, entry.name))),
  );
}

/** Compiles the bot into `.build/`, keeping the folders as they are (`.build/src/main.js`, …). */
async function compile() {
  await build({
    absWorkingDir: ROOT,
    entryPoints: sources(),
    outdir: BUILD_DIR,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Stack traces in the logs name the TypeScript file and line (node --enable-source-maps reads them).
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await compile();
  if (!process.argv.includes('--build-only')) {
    process.setSourceMapsEnabled(true);
    await import(pathToFileURL(join(BUILD_DIR, 'dev', 'start.js')).href);
  }
}
