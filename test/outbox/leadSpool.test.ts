// LeadSpool on a real directory: replay past records the database refuses, dead letters, operator re-queues, the
// sessions a sweep must leave alone. `accept` stands in for LeadIntake.replay; its errors are the real classes
// (a connection-class error, a data error).
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverException } from '@mikro-orm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { DEAD_LETTER_FILE, LeadSpool } from '../../src/outbox/leadSpool.js';
import { salvageLine, spoolLine, type SpoolRecord } from '../../src/outbox/spoolRecord.js';
import { CappedDisk } from '../support/cappedDisk.js';

const logger = createLogger('silent');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'psb-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (sessionKey: string): SpoolRecord => ({
  v: 1,
  id: randomUUID(),
  channel: 'voice',
  externalId: sessionKey,
  sessionKey,
  sessionState: { phase: 'saved-failure', transcript: [{ role: 'user', text: 'my name is John Carter' }] },
  lead: { full_name: 'John Carter', zip_code: '30093', phone: '+14045550111', vehicle_year: 2019, vehicle_make: 'Harley-Davidson', vehicle_model: 'Street Glide' },
  refusal: null,
  spooledAt: new Date().toISOString(),
});

// As MikroORM raises them: the message inlines the bound values, the SQLSTATE sits in `code`.
const dataError = () => new DriverException(Object.assign(new Error('insert ... John Carter'), { code: '22P05' }));
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('LeadSpool.replay', () => {
  it('replays the records behind one the database refuses, counts its tries and makes it a dead letter at maxTries', async () => {
    const spool = new LeadSpool(dir, logger, { maxTries: 2 });
    const [bad, good1, good2] = [record('CA-bad'), record('CA-good-1'), record('CA-good-2')];
    for (const r of [good1, bad, good2]) await spool.append(r);
    const accepted: string[] = [];
    const accept = async (r: SpoolRecord) => {
      if (r.id === bad.id) throw dataError();
      accepted.push(r.id);
    };
    expect(await spool.replay(accept)).toEqual({ replayed: 2, remaining: 1, dead: 0 });
    expect(accepted).toEqual([good1.id, good2.id]);
    expect(await spool.list()).toEqual([
      { id: bad.id, channel: 'voice', externalId: 'CA-bad', spooledAt: bad.spooledAt, state: 'queued', tries: 1, lastError: 'database error: DriverException (SQLSTATE 22P05)' },
    ]);
    expect(await spool.replay(accept)).toEqual({ replayed: 0, remaining: 0, dead: 1 });
    expect(await spool.isEmpty()).toBe(true);
    expect(spool.deadLetterCount).toBe(1);
    expect((await spool.list()).map((e) => [e.id, e.state, e.tries])).toEqual([[bad.id, 'dead', 2]]);
    // The dead letter keeps the whole record (the lead and its transcript) for the re-queue.
    expect(JSON.parse(await readFile(join(dir, DEAD_LETTER_FILE), 'utf8'))).toMatchObject({ id: bad.id, lead: bad.lead, sessionState: bad.sessionState });
  });

  it('stops at a connection-class error and keeps every record from there, tries unchanged', async () => {
    const spool = new LeadSpool(dir, logger, { maxTries: 1 });
    const records = [record('CA-1'), record('CA-2'), record('CA-3')];
    for (const r of records) await spool.append(r);
    let calls = 0;
    const result = await spool.replay(async (r) => {
      calls++;
      if (r.id !== records[0]?.id) throw unreachable();
    });
    expect(result).toEqual({ replayed: 1, remaining: 2, dead: 0 });
    expect(calls).toBe(2);
    expect((await spool.list()).map((e) => [e.id, e.state, e.tries])).toEqual([
      [records[1]?.id, 'queued', 0],
      [records[2]?.id, 'queued', 0],
    ]);
  });

  it('re-queues a dead letter an operator asked for (its tries start over) at the next replay; unknown ids are refused', async () => {
    const spool = new LeadSpool(dir, logger, { maxTries: 1 });
    const bad = record('CA-bad');
    await spool.append(bad);
    await spool.replay(async () => {
      throw dataError();
    });
    // The operator's side: another LeadSpool on the same directory (the `leads` command in its own process).
    const cli = new LeadSpool(dir, logger);
    expect(await cli.requestRequeue(randomUUID())).toBe(false);
    expect(await cli.requestRequeue('not-a-uuid')).toBe(false);
    expect(await cli.requestRequeue(bad.id)).toBe(true);
    expect((await cli.list()).map((e) => e.state)).toEqual(['requeued']);
    const accepted: SpoolRecord[] = [];
    expect(await spool.replay(async (r) => void accepted.push(r))).toEqual({ replayed: 1, remaining: 0, dead: 0 });
    expect(accepted).toEqual([expect.objectContaining({ id: bad.id, lead: bad.lead })]);
    expect(accepted[0]?.tries).toBeUndefined();
    expect(await spool.list()).toEqual([]);
  });
});

describe('LeadSpool.holds', () => {
  it('answers for sessions with a lead queued, being appended or dead, and forgets them once replayed', async () => {
    const spool = new LeadSpool(dir, logger, { maxTries: 1 });
    const [queued, dead] = [record('CA-queued'), record('CA-dead')];
    await spool.append(dead);
    const writing = spool.append(queued);
    expect(spool.holds('CA-queued')).toBe(true);
    await writing;
    await spool.replay(async (r) => {
      if (r.id === dead.id) throw dataError();
      throw unreachable();
    });
    expect(spool.holds('CA-queued')).toBe(true);
    expect(spool.holds('CA-dead')).toBe(true);
    expect(spool.holds('CA-other')).toBe(false);
    expect(spool.heldKeys().sort()).toEqual(['CA-dead', 'CA-queued']);
    await spool.replay(async () => undefined);
    expect(spool.heldKeys()).toEqual(['CA-dead']);
  });
});

describe('LeadSpool.append on a disk that fills up', () => {
  it('truncates a torn append away, so the next record starts on its own line', async () => {
    const disk = new CappedDisk(dir);
    const spool = new LeadSpool(dir, logger, { writer: disk });
    const [a, b, c] = [record('CA-a'), record('CA-b'), record('CA-c')];
    await spool.append(a);
    const size = (await stat(spool.path)).size;
    await disk.fill();
    // The record does not fit in what is left of the page: part of it is written, then ENOSPC.
    const big = { ...b, sessionState: { transcript: [{ role: 'user', text: 'x'.repeat(8_000) }] } };
    await expect(spool.append(big)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(disk.refusals).toBe(1);
    expect((await stat(spool.path)).size).toBe(size);
    disk.free();
    await spool.append(c);
    const ids: string[] = [];
    expect(await spool.replay(async (r) => void ids.push(r.id))).toEqual({ replayed: 2, remaining: 0, dead: 0 });
    expect(ids).toEqual([a.id, c.id]);
  });

  it('starts on a fresh line after a write a crash tore (no newline at the end of the file)', async () => {
    const spool = new LeadSpool(dir, logger);
    const [a, b] = [record('CA-a'), record('CA-b')];
    await spool.append(a);
    await appendFile(spool.path, spoolLine(record('CA-torn')).slice(0, 120));
    await spool.append(b);
    const ids: string[] = [];
    expect(await spool.replay(async (r) => void ids.push(r.id))).toEqual({ replayed: 2, remaining: 0, dead: 0 });
    expect(ids).toEqual([a.id, b.id]);
    expect((await readFile(join(dir, 'lead-spool.rejected.jsonl'), 'utf8')).length).toBe(121);
  });
});

describe('salvageLine', () => {
  const [a, b] = [spoolLine(record('CA-a')), spoolLine(record('CA-b'))];
  const torn = (line: string) => line.slice(0, 150);

  it.each([
    ['a torn record, then a whole one', `${torn(a)}${b}`, [b], [torn(a)]],
    ['two whole records glued', `${a}${b}`, [a, b], []],
    ['a whole record, then a torn one', `${a}${torn(b)}`, [a], [torn(b)]],
    ['garbage around a record', `xx${a}yy`, [a], ['xx', 'yy']],
    ['no record at all', torn(a), [], [torn(a)]],
  ])('%s', (_, line, records, fragments) => {
    const salvaged = salvageLine(line);
    expect(salvaged.records.map((r) => spoolLine(r))).toEqual(records);
    expect(salvaged.fragments).toEqual(fragments);
  });
});

describe('LeadSpool reserve', () => {
  it('holds disk space before it is needed and gives it back to a lead when the disk is full', async () => {
    const disk = new CappedDisk(dir);
    const spool = new LeadSpool(dir, logger, { writer: disk, reserveBytes: 16 * 1024 });
    expect(spool.ready).toBe(false);
    expect(await spool.ensureReserve()).toBe(true);
    expect(spool.ready).toBe(true);
    expect((await stat(join(dir, 'lead-spool.reserve'))).size).toBe(16 * 1024);
    await disk.fill();
    // The disk is full, the reserve is not: the lead gets the reserve's space, and the spool says it used it.
    await spool.append(record('CA-a'));
    expect(disk.refusals).toBe(1);
    expect(spool.ready).toBe(false);
    expect((await spool.list()).map((e) => e.externalId)).toEqual(['CA-a']);
    // The reserve cannot be made whole while the disk stays full; once it has room again, it is.
    expect(await spool.ensureReserve()).toBe(false);
    disk.free();
    expect(await spool.ensureReserve()).toBe(true);
  });

  it('is not ready after a lead it could not take even with the reserve spent, until a lead that size fits again', async () => {
    const disk = new CappedDisk(dir);
    const spool = new LeadSpool(dir, logger, { writer: disk, reserveBytes: 4096 });
    await spool.ensureReserve();
    await disk.fill();
    const big = { ...record('CA-big'), sessionState: { transcript: [{ role: 'user', text: 'x'.repeat(10_000) }] } };
    await expect(spool.append(big)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await spool.isEmpty()).toBe(true);
    // The page the reserve gave back is free again, so the reserve alone could be remade: the check also asks for
    // room for a lead the size of the refused one.
    expect(await spool.ensureReserve()).toBe(false);
    expect(spool.ready).toBe(false);
    await disk.fill(16 * 1024);
    expect(await spool.ensureReserve()).toBe(true);
    expect((await stat(join(dir, 'lead-spool.reserve'))).size).toBe(4096);
  });
});
