import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * The terminal chat: a desk agent (the default, Chen Jing) logs a phoned-in incident for an outside
 * contact, answering the report's extra questions field by field.
 */
describe('the terminal chat: logging for a caller', () => {
  const db = shellDatabase('caller');
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('asks a desk agent how it was reported and for whom; the card names the outside contact', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shell-export-'));
    shell = new ShellDriver({ ...db.env, DATA_DIR: dataDir });
    const s = shell;
    await s.expect('You are acting as Chen Jing');
    // description, impact, urgency, service, CI, category, area, location, outage start, CI usable (1 = No),
    // how it was reported (2 = Phone), reporter, contact name, phone, e-mail.
    await s.answer('report Printer on floor 3 jams', 'Jams on every job', '3', '3', '', '', '', '', '', '', '1', '2', '', 'Huang Lei', '+86 10 5555 0101', '');
    const receipt = await s.expect(/\[\d+\] Timeline/);
    expect(receipt).toContain('Logged INC-000001');
    expect(receipt).toContain('Reporter: Huang Lei');
    expect(receipt).toContain('Outside contact: Huang Lei · +86 10 5555 0101');
    expect(receipt).toContain('Source: Phone');
    expect(receipt).toContain('CI still usable: No');

    // A search exported as CSV is saved in $DATA_DIR/exports, and the line says where.
    s.send('search printer format:csv');
    const saved = await s.expect(/📎 Saved (\S+\.csv)/);
    const path = /📎 Saved (\S+\.csv)/.exec(saved)![1]!;
    expect(path.startsWith(join(dataDir, 'exports'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('INC-000001,Printer on floor 3 jams,Open');

    // The monthly report's charts and CSV are saved there too (the process owner asks for this month's).
    s.send('as zhao.lei');
    await s.expect('You are acting as Zhao Lei');
    const month = new Date().toISOString().slice(0, 7);
    s.send(`report month ${month}`);
    const csv = await s.expect(new RegExp(`📎 Saved (\\S+month-${month}\\.csv)`));
    const csvPath = new RegExp(`📎 Saved (\\S+month-${month}\\.csv)`).exec(csv)![1]!;
    expect(csvPath.startsWith(join(dataDir, 'exports'))).toBe(true);
    expect(readFileSync(csvPath, 'utf8')).toContain(`trend,Logged,${month},1`);
    expect(readdirSync(join(dataDir, 'exports')).filter((f) => f.endsWith('.png'))).toHaveLength(6);
  });
});
