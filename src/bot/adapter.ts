import type { Logger } from 'pino';
import type { Messenger } from '../app/platform.js';
import type { Env } from '../config/env.js';
import type { RouteHandler } from '../http/server.js';
import type { Surface } from '../outbox/surface.js';
import type { SurfaceStore } from '../outbox/surface.store.js';
import type { Connection } from 'mongoose';
import type { App } from './app.js';

/**
 * The contract a chat platform plugs into (like Hubot's Adapter): requests in → commands; out,
 * what the outbox must say, through the adapter's messenger (notices to people and channels) and
 * its surface (how an incident looks there: card, threads, war room). The composition root hands
 * both to the delivery worker. A new platform is a new folder in adapters/, nothing else.
 */
export interface PlatformAdapter {
  readonly name: string;
  readonly messenger?: Messenger;
  readonly surface?: Surface;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when no request is being handled (tests, shutdown). */
  idle?(): Promise<void>;
}

/**
 * What adapters use of the core: run a command as someone, map platform users to people, render
 * (presenter, catalog), read the configuration and directory, tell the time. Not the stores, the
 * outbox or the timers: what a change must show on a platform reaches the adapter through its
 * surface and messenger, which the composition root hands the outbox.
 */
export type AdapterCore = Pick<App, 'run' | 'actorFor' | 'registry' | 'presenter' | 'directory' | 'm' | 'voice' | 'localeFor' | 'setLocale' | 'clock' | 'config' | 'suggest' | 'fieldOptions'>;

/** What the composition root hands every adapter. */
export interface AdapterHost {
  app: AdapterCore;
  /** The database, for collections an adapter keeps itself (Discord's form drafts and interaction claims). */
  conn: Connection;
  env: Env;
  log: Logger;
  /** Extra HTTP routes on the bot's one server (e.g. "POST /slack/events"). */
  routes: Map<string, RouteHandler>;
  /** Platform references and claims, shared by every adapter (one store). */
  surfaces: SurfaceStore;
}
