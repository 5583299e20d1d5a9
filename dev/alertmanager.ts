/**
 * Prometheus Alertmanager 0.35.0 for tests that need a real one (the alert webhook's payload,
 * grouping, resolve messages), on machines that reach only package registries: no release
 * tarball, no Docker image. Built once from the Go module proxy into a user cache folder, the way
 * dev/ferretdb.ts builds FerretDB: the module is downloaded with `go mod download`, copied out of
 * the read-only module cache, given the placeholder web UI it embeds (see UI_PLACEHOLDERS), then
 * `go build ./cmd/alertmanager`. Never used by the product, which only receives Alertmanager's
 * webhooks.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cachedBuild } from './go-build.js';
import { errnoCode, errorMessage, run } from './support.js';

export const ALERTMANAGER_VERSION = '0.35.0';

const ALERTMANAGER_MODULE = 'github.com/prometheus/alertmanager';
/**
 * `ui/web.go` embeds `app/dist` (`//go:embed app/dist`), the compiled Elm and React UIs, which the
 * release build makes with npm and which the module zip does not contain: without the folder the
 * build fails ("pattern app/dist: no matching files found"). Tests use only the HTTP API, so a
 * page saying so stands in for each UI (web.go serves `app/dist/elm/index.html` at `/` and
 * `app/dist/mantine/index.html` at `/mantine/`).
 */
const UI_PLACEHOLDER_HTML =
  '<!doctype html><title>Alertmanager</title><p>Alertmanager built by incident-bot for tests: ' +
  'the web UI is not included; the API is at <a href="api/v2/status">api/v2/status</a>.</p>\n';
const UI_PLACEHOLDERS = ['ui/app/dist/elm/index.html', 'ui/app/dist/mantine/index.html'] as const;
/** What `alertmanager --version` reports; the release build sets the same variable with promu. */
const LDFLAGS = `-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION} -X github.com/prometheus/common/version.BuildUser=incident-bot`;
/** Everything that decides what gets built: a change to any of it rebuilds instead of reusing the cache. */
const BUILD_RECIPE = JSON.stringify({ module: `${ALERTMANAGER_MODULE}@v${ALERTMANAGER_VERSION}`, UI_PLACEHOLDERS, UI_PLACEHOLDER_HTML, LDFLAGS, pkg: './cmd/alertmanager' });
const WHAT = 'Alertmanager';
const BUILD_TIMEOUT_MS = 20 * 60_000;
const EXE = process.platform === 'win32' ? '.exe' : '';

const execFileAsync = promisify(execFile);

export interface AlertmanagerBinaryOptions {
  /** Progress lines (building, waiting for another build). */
  log?: (msg: string) => void;
  /** Environment for finding `go` (PATH), the cache folder (ALERTMANAGER_CACHE_DIR) and the build. */
  env?: NodeJS.ProcessEnv;
}

export function alertmanagerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ALERTMANAGER_CACHE_DIR) return env.ALERTMANAGER_CACHE_DIR;
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'incident-bot', `alertmanager-${ALERTMANAGER_VERSION}`);
}

/** Returns the cached binary, building it first when missing or built by another recipe. */
export async function alertmanagerBinary(options: AlertmanagerBinaryOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const dir = alertmanagerCacheDir(env);
  const binary = join(dir, `alertmanager${EXE}`);
  // The stamp is written only after the binary is in place, so a build that died half-way (or a
  // binary from an older recipe) is never taken for a finished one.
  const hashFile = join(dir, 'alertmanager.sha256');
  const hash = createHash('sha256').update(BUILD_RECIPE).digest('hex');
  return cachedBuild({
    dir, binary, hashFile, hash, what: WHAT, timeoutMs: BUILD_TIMEOUT_MS, log,
    assertTools: () => assertGoAvailable(dir, env),
    build: () => buildAlertmanager(dir, binary, env, log),
  });
}

async function assertGoAvailable(cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('go', ['version'], { env, timeoutMs: 30_000 });
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? '`go` is not on PATH' : `\`go version\` failed: ${errorMessage(err)}`;
    throw new Error(
      `no Alertmanager build in ${cacheDir} and ${why} (Go 1.26+ is needed once to build it; ` +
        'or point ALERTMANAGER_CACHE_DIR at a folder holding one)',
      { cause: err },
    );
  }
}

async function buildAlertmanager(dir: string, binary: string, env: NodeJS.ProcessEnv, log: (msg: string) => void) {
  log(`Building Alertmanager ${ALERTMANAGER_VERSION} (first run only, ~2-3 min)…`);
  const started = Date.now();
  // Build dir and temp binary live inside the cache dir so the final rename stays on one filesystem.
  const work = await mkdtemp(join(dir, 'build-'));
  const source = join(work, 'src');
  const tmpBinary = join(work, `alertmanager${EXE}`);
  try {
    const goEnv: NodeJS.ProcessEnv = {
      ...env,
      GOTOOLCHAIN: 'local', // never try to download another Go toolchain
      GOWORK: 'off', // a go.work in some parent folder must not take part
      CGO_ENABLED: '0', // Alertmanager is pure Go; no C compiler needed
    };
    const moduleDir = await downloadModule(work, goEnv);
    // The module cache is read-only; the build needs a tree it may add files to.
    await copyTree(moduleDir, source);
    for (const file of UI_PLACEHOLDERS) {
      await mkdir(dirname(join(source, file)), { recursive: true });
      await writeFile(join(source, file), UI_PLACEHOLDER_HTML);
    }
    const build = {
      cwd: source,
      // go.sum ships in the module; -mod=mod only lets go fill in anything it lacks instead of failing.
      env: { ...goEnv, GOFLAGS: `${env.GOFLAGS ?? ''} -mod=mod`.trim() },
      timeoutMs: BUILD_TIMEOUT_MS,
    };
    // -buildvcs=false: the copy is no checkout, but the cache folder may lie inside some git work
    // tree (ALERTMANAGER_CACHE_DIR=./.cache), whose status go would otherwise try to stamp in.
    await run('go', ['build', '-trimpath', '-buildvcs=false', `-ldflags=${LDFLAGS}`, '-o', tmpBinary, './cmd/alertmanager'], build);
    await assertRuns(tmpBinary, env);
    await rename(tmpBinary, binary);
    log(`Built Alertmanager ${ALERTMANAGER_VERSION} in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Fetches the module through the Go module proxy (or finds it in the module cache) and returns its folder. */
async function downloadModule(cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const args = ['mod', 'download', '-json', `${ALERTMANAGER_MODULE}@v${ALERTMANAGER_VERSION}`];
  let stdout: string;
  try {
    // cwd: an empty folder, so no go.mod around us decides which module or version is meant.
    ({ stdout } = await execFileAsync('go', args, { cwd, env, timeout: BUILD_TIMEOUT_MS, maxBuffer: 1 << 20 }));
  } catch (err) {
    // On failure go still prints the JSON, with the reason (proxy unreachable, unknown version) in "Error".
    const out = typeof err === 'object' && err !== null && 'stdout' in err ? String(err.stdout) : '';
    throw new Error(`\`go ${args.join(' ')}\` failed: ${moduleError(out) ?? errorMessage(err)}`, { cause: err });
  }
  const info = JSON.parse(stdout) as { Dir?: unknown; Error?: unknown };
  if (typeof info.Dir !== 'string' || info.Dir === '') {
    throw new Error(`\`go ${args.join(' ')}\` gave no module folder: ${moduleError(stdout) ?? stdout.trim()}`);
  }
  return info.Dir;
}

function moduleError(json: string): string | undefined {
  try {
    const info = JSON.parse(json) as { Error?: unknown };
    return typeof info.Error === 'string' ? info.Error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Copies a module out of the module cache. Own walk rather than fs.cp: the cache's folders are
 * read-only (0555) and its files 0444, and the copy must be writable so go may update go.mod or
 * go.sum and so that rm can delete the build folder afterwards even when not run as root.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      await copyTree(src, dst);
    } else if (entry.isFile()) {
      await copyFile(src, dst);
      await chmod(dst, 0o644);
    }
    // Module zips hold no symlinks or other special files; anything else is skipped.
  }
}

/** A binary that built but does not start (wrong platform, broken link) must not be cached. */
async function assertRuns(binary: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const { stdout, stderr } = await execFileAsync(binary, ['--version'], { env, timeout: 30_000 });
    // kingpin has printed the version to stdout or stderr depending on its release.
    const output = `${stdout}${stderr}`;
    if (!output.includes(`version ${ALERTMANAGER_VERSION}`)) {
      throw new Error(`unexpected \`alertmanager --version\` output: ${output.trim()}`);
    }
  } catch (err) {
    throw new Error(`the freshly built Alertmanager does not run: ${errorMessage(err)}`, { cause: err });
  }
}

