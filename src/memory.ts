/**
 * V8's heap kept near what is live (issue 11: RSS ≤ 300 MB through a burst). By default V8 lets the
 * heap grow to several times what survived the last full collection before it collects again: a
 * burst of 1,000 reports took the compiled bot from 267 MB to 450 MB while its live objects grew from
 * 98 MB to 110 MB. `--heap-growing-percent=20` starts the next full collection once the heap is 20 %
 * above what was live (the same burst: 194 → 215 MB, reports committed as fast). It changes only when
 * V8 collects; `--optimize-for-size` did as well for memory but also made V8 compile less eagerly,
 * and cost /incident about 40 % of its requests per second.
 *
 * Imported first by src/main.ts, so it applies before the bot loads. BOT_HEAP_GROWTH_PERCENT sets the
 * percentage; 0 leaves V8's own growth. src/config/env.ts checks the value.
 */
import { setFlagsFromString } from 'node:v8';

const percent = Number(process.env.BOT_HEAP_GROWTH_PERCENT ?? 20);
if (Number.isInteger(percent) && percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
