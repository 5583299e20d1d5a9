import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigFile } from './config.schema.js';

/**
 * The shipped `config/default.yml`, found from this module both in the sources (src/config/, run
 * by tsx) and in the compiled build (dist/src/config/, run by node in the Docker image).
 */
export const DEFAULT_CONFIG_PATH = shippedConfigPath();

function shippedConfigPath(): string {
  const candidates = ['../../config/default.yml', '../../../config/default.yml'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/** A configuration file that cannot be used; the message names the file and each bad field's path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the policy + organisation YAML file. */
export function loadConfigFile(path: string = DEFAULT_CONFIG_PATH): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration file ${path}: ${(error as Error).message}`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, source = 'configuration'): ConfigFile {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(`${source} is not valid YAML:\n${document.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  const result = ConfigFile.safeParse(document.toJS());
  if (!result.success) throw new ConfigError(`${source} has errors:\n${formatIssues(result.error.issues)}`);
  return result.data;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('\n');
}
