import { existsSync } from 'node:fs';
import { findFontFiles, loadFonts } from '../reports/fonts.js';

/**
 * The post-incident review as a PDF, rendered offline with pdfkit from its Markdown: headings,
 * bullets, table rows and the plan's indented lines. Latin text uses the PDF's own Helvetica;
 * Chinese needs a CJK font on the machine (`PDF_CJK_FONT`, else the Debian packages'
 * fonts-wqy-microhei or fonts-noto-cjk, else the charts' font from scripts/prepare-fonts.ts): without one, a review with Chinese text gets no PDF
 * (undefined) rather than a PDF of empty boxes, and the Markdown stays the record.
 */
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]/;
const CJK_FONTS: readonly { path: string; family?: string }[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYi Micro Hei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'Noto Sans CJK SC' },
];

export function cjkFont(env: Record<string, string | undefined> = process.env): { path: string; family?: string } | undefined {
  const configured = env.PDF_CJK_FONT;
  if (configured) return existsSync(configured) ? { path: configured } : undefined;
  return CJK_FONTS.find((f) => existsSync(f.path)) ?? chartCjkFont(env);
}

/** The CJK font the report charts found (REPORT_FONT, or the one scripts/prepare-fonts.ts cached). */
function chartCjkFont(env: Record<string, string | undefined>): { path: string; family?: string } | undefined {
  try {
    for (const file of findFontFiles(env as NodeJS.ProcessEnv)) {
      const font = loadFonts([file]);
      if (font.cjk) return { path: file, family: font.family };
    }
  } catch {
    // A REPORT_FONT that is missing or no font: the review simply has no CJK font.
  }
  return undefined;
}

/** `font`: the CJK font to use, `null` for none (then a review with Chinese text gets no PDF). */
export async function reviewPdf(markdown: string, font: { path: string; family?: string } | null | undefined = cjkFont()): Promise<Buffer | undefined> {
  const chinese = CJK.test(markdown);
  if (chinese && !font) return undefined;
  // Loaded on the first review (PDFKit and its font engine are megabytes a bot needs rarely).
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: markdown.split('\n')[0]?.replace(/^#\s*/, '') ?? 'Post-incident review' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    let body = 'Helvetica';
    let bold = 'Helvetica-Bold';
    let mono = 'Courier';
    if (chinese && font) {
      doc.registerFont('cjk', font.path, font.family);
      body = bold = mono = 'cjk';
    }
    for (const raw of markdown.split('\n')) {
      const line = raw.replace(/\*\*/g, '');
      if (line.startsWith('# ')) doc.font(bold).fontSize(18).text(line.slice(2)).moveDown(0.5);
      else if (line.startsWith('## ')) doc.moveDown(0.5).font(bold).fontSize(14).text(line.slice(3)).moveDown(0.3);
      else if (line.startsWith('### ')) doc.font(bold).fontSize(11).text(line.slice(4));
      else if (/^\|[-| ]+\|$/.test(line)) continue;
      else if (line.startsWith('|')) doc.font(body).fontSize(10).text(line.split('|').slice(1, -1).map((c) => c.trim().replace(/\\\|/g, '|')).join('   ·   '));
      else if (line.startsWith('- ')) doc.font(body).fontSize(10).text(`•  ${line.slice(2).replace(/\\\|/g, '|')}`, { indent: 10 });
      else if (line.startsWith('    ')) doc.font(mono).fontSize(9).text(line.slice(4), { indent: 14 });
      else if (line.trim() === '') doc.moveDown(0.3);
      else doc.font(body).fontSize(10).text(line);
    }
    doc.end();
  });
}
