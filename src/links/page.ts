/** A small self-contained HTML page (no scripts, no outside assets) for the reporter links. */
export interface Page {
  status: number;
  lang: string;
  title: string;
  /** Paragraphs, as text (escaped here). */
  lines: string[];
  /** A form that POSTs back to the same link: its button, and a text box when `field` is set. */
  form?: { button: string; field?: { name: string; label: string; required: boolean }; choice?: { name: string; label: string; options: { value: string; label: string }[] }; error?: string };
}

export function renderPage(page: Page): string {
  const lines = page.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n');
  const form = page.form
    ? `<form method="post">${page.form.error ? `<p class="error">${escapeHtml(page.form.error)}</p>` : ''}${
        page.form.choice ? renderChoice(page.form.choice) : ''
      }${
        page.form.field
          ? `<label for="${page.form.field.name}">${escapeHtml(page.form.field.label)}</label><textarea id="${page.form.field.name}" name="${page.form.field.name}" rows="4" maxlength="2000"${page.form.field.required ? ' required' : ''}></textarea>`
          : ''
      }<button type="submit">${escapeHtml(page.form.button)}</button></form>`
    : '';
  return `<!doctype html>
<html lang="${escapeHtml(page.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}label{display:block;margin-top:1rem}textarea{width:100%}fieldset{border:0;padding:0}fieldset label{display:inline-block;margin-right:1rem}button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}.error{color:#b00020}</style>
</head><body><h1>${escapeHtml(page.title)}</h1>
${lines}
${form}
</body></html>`;
}

/** Radio buttons for one required choice (a rating). */
function renderChoice(choice: { name: string; label: string; options: { value: string; label: string }[] }): string {
  const options = choice.options.map((o) => `<label><input type="radio" name="${escapeHtml(choice.name)}" value="${escapeHtml(o.value)}" required> ${escapeHtml(o.label)}</label>`);
  return `<fieldset><legend>${escapeHtml(choice.label)}</legend>${options.join('')}</fieldset>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
