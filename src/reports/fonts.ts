/**
 * The fonts the report charts are drawn with (src/reports/chart.ts). resvg is handed font files
 * and never looks at the system's fonts, so a chart looks the same on every machine; a Latin-only
 * font draws Chinese as empty boxes, so a CJK font is looked for first. On a machine without
 * one, `npx tsx scripts/prepare-fonts.ts` puts one in the user cache folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type * as Fontkit from 'fontkit';
import type { Font } from 'fontkit';

export interface ChartFonts {
  /** Font files for resvg, the main one first; a glyph the main font lacks comes from the next that has it. */
  files: string[];
  /** The main font's family name: the font Vega lays out with and resvg draws with. */
  family: string;
  /** Whether some file has Chinese glyphs, i.e. Chinese text is drawn rather than shown as boxes. */
  cjk: boolean;
  /** Width of a text at font size 1 px, from the fonts' own advance widths (Vega's layout needs it). */
  measure(text: string): number;
}

/** Debian's fonts, best for Chinese first: fonts-wqy-microhei, fonts-noto-cjk, fonts-dejavu-core (Latin only). */
const SYSTEM_FONTS = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
] as const;

const FONT_FILE = /\.(ttf|ttc|otf)$/i;

/** Where scripts/prepare-fonts.ts puts a CJK font: `${XDG_CACHE_HOME:-~/.cache}/incident-bot/fonts`. */
export function fontCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'incident-bot', 'fonts');
}

/** Font files found in order: REPORT_FONT, the user cache folder, then SYSTEM_FONTS. */
export function findFontFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.REPORT_FONT && !existsSync(env.REPORT_FONT)) throw new Error(`REPORT_FONT=${env.REPORT_FONT}: no such file`);
  const cacheDir = fontCacheDir(env);
  const cached = existsSync(cacheDir)
    ? readdirSync(cacheDir).filter((name) => FONT_FILE.test(name)).sort().map((name) => join(cacheDir, name))
    : [];
  const candidates = [...(env.REPORT_FONT ? [env.REPORT_FONT] : []), ...cached, ...SYSTEM_FONTS];
  return [...new Set(candidates)].filter((file) => existsSync(file));
}

/** The fonts found by findFontFiles; fails, saying how to get one, when there is none. */
export function chartFonts(env: NodeJS.ProcessEnv = process.env): ChartFonts {
  const files = findFontFiles(env);
  if (files.length === 0) {
    throw new Error('no font for report charts: run `npx tsx scripts/prepare-fonts.ts` or set REPORT_FONT to a TTF/TTC/OTF file');
  }
  return loadFonts(files);
}

/** Reads the files' names and metrics; a REPORT_FONT that is no font fails here, naming the file. */
export function loadFonts(files: string[]): ChartFonts {
  const faces = files.map(face);
  const [main] = faces;
  if (!main) throw new Error('loadFonts: no font files given');
  const widths = new Map<number, number>();
  const advance = (codePoint: number): number => {
    let width = widths.get(codePoint);
    if (width === undefined) {
      const font = faces.find((f) => f.hasGlyphForCodePoint(codePoint)) ?? main;
      width = font.glyphForCodePoint(codePoint).advanceWidth / font.unitsPerEm;
      widths.set(codePoint, width);
    }
    return width;
  };
  return {
    files,
    family: main.familyName,
    cjk: faces.some((f) => f.hasGlyphForCodePoint(HAN_PROBE)),
    measure: (text) => [...text].reduce((sum, ch) => sum + advance(ch.codePointAt(0)!), 0),
  };
}

/** 中: a font that has it has the common Chinese characters. */
const HAN_PROBE = 0x4e2d;

const faces = new Map<string, Font>();

let loaded: typeof Fontkit | undefined;

/**
 * fontkit, loaded on the first font read (a bot that draws no chart and writes no PDF never needs
 * it), as its CommonJS build: the one PDFKit requires, so the two share one copy.
 */
function fontkit(): typeof Fontkit {
  loaded ??= createRequire(import.meta.url)('fontkit') as typeof Fontkit;
  return loaded;
}

/** A file's face, the Simplified Chinese one of a collection (NotoSansCJK-Regular.ttc holds JP, KR, SC, TC…). */
function face(file: string): Font {
  let font = faces.get(file);
  if (!font) {
    let opened: ReturnType<typeof Fontkit.openSync>;
    try {
      opened = fontkit().openSync(file);
    } catch (err) {
      throw new Error(`cannot read font ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    font = 'fonts' in opened ? (opened.fonts.find((f) => / SC$/.test(f.familyName)) ?? opened.fonts[0]) : opened;
    if (!font) throw new Error(`font collection ${file} holds no font`);
    faces.set(file, font);
  }
  return font;
}
