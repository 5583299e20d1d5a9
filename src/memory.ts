/**
 * V8's heap sized for a long-running bot rather than for throughput (issue 11: RSS ≤ 300 MB through a
 * burst). By default V8 lets the heap grow to several times what is live before it collects: a burst
 * of a thousand reports took the bot from 267 MB to 450 MB while its live objects grew from 98 MB to
 * 110 MB. `--optimize-for-size` keeps the heap near what is live (same burst: 247 → 277 MB), for a
 * little more CPU spent collecting. Imported first by src/main.ts, so it applies before the bot loads.
 * BOT_V8_OPTIMIZE_FOR_SIZE=false leaves V8's defaults.
 */
import { setFlagsFromString } from 'node:v8';

if (process.env.BOT_V8_OPTIMIZE_FOR_SIZE !== 'false') setFlagsFromString('--optimize-for-size');
