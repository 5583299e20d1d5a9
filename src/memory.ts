/**
 * V8's heap kept near what is live (issue 11: RSS ≤ 300 MB through a burst). By default V8 lets the
 * heap grow to several times what survived the last full collection before it collects again: a
 * burst of 1,000 reports took the compiled bot from 267 MB to 450 MB while its live objects grew from
 * 98 MB to 110 MB. `--heap-growing-percent=20` starts the next full collection once the heap is 20 %
 * above what was live (the same burst: 194 → 215 MB, reports committed as fast). It changes only when
 * V8 collects; `--optimize-for-size` did as well for memory but also made V8 compile less eagerly,
 * and cost /incident about 40 % of its requests per second.
 *
 * 40 %, not 20: each full collection marks the whole heap (70–80 MB live, most of it the bot's code
 * and libraries) on V8's background threads. Through a burst of 1,000 reports and their cards
 * (`--trace-gc-nvp`): at 20 %, 12 full collections and 3.3 s of background marking, peak RSS
 * 229 MB; at 40 %, 6 and 1.9 s, 244 MB; at 50 %, 5 and 1.5 s, 251 MB (282 MB with 100,000 incidents
 * stored). That marking was the largest part of the bot's CPU off its main thread.
 *
 * Imported first by src/main.ts, so it applies before the bot loads. BOT_HEAP_GROWTH_PERCENT sets the
 * percentage; 0 leaves V8's own growth. src/config/env.ts checks the value.
 */
import { setFlagsFromString } from 'node:v8';

const percent = Number(process.env.BOT_HEAP_GROWTH_PERCENT ?? 40);
if (Number.isInteger(percent) && percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
