import { isAffirmation, parsePhoneAnswer, startsWithYesBut, parseZipAnswer, phoneInPassing } from './callerAnswers.js';
import type { Conversation, ExtractionResult } from '../../leads/lead.js';
import { isCloseName, mergeName, parseNameAnswer } from './nameAnswer.js';
import { CALLER_ID, normalizeLead } from '../../leads/normalize.js';
import { readAgentTurn, type Ask, type AgentTurn, type ReadBack } from './agentTurn.js';
import { parseVehicle, type VehicleParts } from './vehicleText.js';

/** The lead as the conversation goes: raw values, the last one the caller gave or confirmed winning. */
interface DraftLead {
  name: string[];
  /** Name words the caller spelled out; a later recognizer spelling of the same word does not replace them. */
  locked: Set<string>;
  /** Everything the caller said when asked for the name, to check the agent's spelling of it against. */
  nameSaid: string;
  zip: string | null;
  phone: string | null;
  /** Phone digits given so far when the caller reads the number over more than one turn. */
  partialPhone: string;
  vehicle: VehicleParts;
}

const setVehicle = (state: DraftLead, parts: VehicleParts): void => {
  if (parts.year !== null) state.vehicle.year = parts.year;
  if (parts.make !== null) state.vehicle.make = parts.make;
  if (parts.model !== null) state.vehicle.model = parts.model;
};

/**
 * Applies what the agent read back. `strong`: the caller confirmed it, so it wins (the agent's spelling is the
 * cleaner one). Otherwise it only fills what the caller's own words left empty.
 */
function applyReadBack(state: DraftLead, readBack: ReadBack, strong: boolean): void {
  if (readBack.name !== undefined && state.name.length === 0) state.name = readBack.name.split(/\s+/);
  else if (readBack.name !== undefined && agentWritesSameName(state, readBack.name)) state.name = readBack.name.split(/\s+/);
  if (readBack.zip !== undefined && (strong || state.zip === null)) state.zip = readBack.zip;
  if (readBack.phone !== undefined && (strong || state.phone === null)) state.phone = readBack.phone;
  const v = readBack.vehicle;
  if (v !== undefined) {
    setVehicle(state, {
      year: strong || state.vehicle.year === null ? v.year : null,
      make: strong || state.vehicle.make === null ? v.make : null,
      model: strong || state.vehicle.model === null ? v.model : null,
    });
  }
}

const letters = (s: string): string => s.toLowerCase().replace(/[^\p{L}]/gu, '');

/**
 * The agent's thank-you name is the caller's own words written out: the same letters as the name so far, or
 * those letters and more that the caller did say ("mike o connell" read as "Mike"; the agent: "Mike O'Connell";
 * "mary beth" -> "Mary-Beth"). The agent's hyphens and apostrophes are then the better spelling.
 */
function agentWritesSameName(state: DraftLead, agentName: string): boolean {
  const agent = letters(agentName);
  const current = letters(state.name.join(''));
  if (agent === '' || agentName === state.name.join(' ') || !agent.startsWith(current)) return false;
  if (agentName.split(/\s+/).length < 2) return false;
  return letters(state.nameSaid).includes(agent);
}

function applyPhone(state: DraftLead, text: string): void {
  const answer = parsePhoneAnswer(text);
  if (answer === null) return;
  if (answer.kind === 'callerId') {
    state.phone = CALLER_ID;
    state.partialPhone = '';
    return;
  }
  if (answer.digits.length >= 10) {
    state.phone = answer.digits;
    state.partialPhone = '';
    return;
  }
  // A fix to part of a number already given: "no, the last four are 0144", "the area code is 770".
  const current = state.phone !== null && /^\d{10}$/.test(state.phone) ? state.phone : null;
  if (current !== null && answer.digits.length <= 7) {
    if (/\barea code\b/i.test(text) && answer.digits.length === 3) {
      state.phone = answer.digits + current.slice(3);
      return;
    }
    if (/\b(?:last|end|ends|ending)\b/i.test(text) || answer.digits.length === 4) {
      state.phone = current.slice(0, 10 - answer.digits.length) + answer.digits;
      return;
    }
  }
  // Part of a number: keep it and join it with the next part ("four oh four, five five five ... zero one one one").
  const joined = state.partialPhone + answer.digits;
  const whole = joined.length === 11 && joined.startsWith('1') ? joined.slice(1) : joined;
  if (whole.length === 10) {
    state.phone = whole;
    state.partialPhone = '';
  } else state.partialPhone = joined.length < 10 ? joined : answer.digits;
}

/** Reads the caller's answer to the question asked. */
function applyAnswer(state: DraftLead, text: string, ask: Ask, now: Date): void {
  switch (ask.kind) {
    case 'name':
      state.nameSaid += ` ${text}`;
      state.name = mergeName(state.name, parseNameAnswer(text), ask.part, state.locked);
      return;
    case 'zip': {
      const zip = parseZipAnswer(text);
      if (zip !== null) state.zip = zip;
      return;
    }
    case 'phone':
      applyPhone(state, text);
      return;
    case 'vehicle':
      setVehicle(state, parseVehicle(text, { focus: ask.focus, fuzzy: true, now }));
      return;
  }
}

/** Opens a correction of something said before ("Actually it's Steve", "no, my name is ..."). */
const CORRECTION_OPENER = /^(?:(?:oh|um|uh|sorry|wait|no|nope)[\s,]+)*(?:actually|no|sorry|wait|my name is|my name's|it's actually)\b/i;

/** A correction of the name while the agent asked about something else: it must sound like the name so far. */
function applyNameCorrection(state: DraftLead, text: string): void {
  if (state.name.length === 0 || !CORRECTION_OPENER.test(text.trim())) return;
  const firstSentence = text.split(/(?<=[.!?])\s+/)[0] ?? '';
  const answer = parseNameAnswer(firstSentence);
  const capitalized = answer.words.every((w) => /^\p{Lu}/u.test(w));
  const resembles = answer.words.some((w) => state.name.some((p) => isCloseName(w, p)));
  if (answer.words.length > 0 && capitalized && resembles) {
    state.name = mergeName(state.name, answer, 'full', state.locked);
  }
}

/** "Hi, I'm Jake Turner, I want to sell ..." when no one asked for the name yet. */
const NAME_INTRO = /\b(?:my name is|my name's|the name's|this is|i'm|i am)\s+(.*)$/i;

function applyNameIntro(state: DraftLead, text: string): void {
  if (state.name.length > 0) return;
  const rest = NAME_INTRO.exec(text)?.[1];
  if (rest === undefined) return;
  const words = parseNameAnswer(rest.split(/[,.;!?]/)[0] ?? '').words;
  if (words.length >= 2 && words.every((w) => /^\p{Lu}/u.test(w) || w.length <= 3)) state.name = words;
}

/** Values a caller volunteers while answering something else ("30093, and my cell is 404-555-0111"). */
function applyInPassing(state: DraftLead, text: string, ask: Ask | null, now: Date): void {
  if (ask?.kind !== 'name') {
    applyNameCorrection(state, text);
    applyNameIntro(state, text);
  }
  if (ask?.kind !== 'phone') {
    const phone = phoneInPassing(text);
    if (phone !== null) state.phone = phone;
  }
  if (ask?.kind !== 'zip') {
    const afterZip = /\bzip(?:\s+code)?\b(.*)$/i.exec(text)?.[1];
    const zip = afterZip === undefined ? null : parseZipAnswer(afterZip);
    if (zip !== null) state.zip = zip;
  }
  if (ask?.kind !== 'vehicle' && ask?.kind !== 'name') {
    const parts = parseVehicle(text, { focus: 'all', fuzzy: false, now });
    if (parts.make !== null) setVehicle(state, parts);
  }
}

/** Whether the conversation has anything the caller said: without it there is nothing to read. */
export const hasCallerTurn = (conversation: Conversation): boolean =>
  conversation.turns.some((turn) => turn.role === 'user' && turn.text.trim() !== '');

/**
 * Extracts the lead from a finished call without any model: question tracking plus confirmation logic. A
 * conversation in which the caller said nothing gives nothing (the agent's own words are not the caller's lead).
 */
export function extractOffline(conversation: Conversation, now: Date = new Date()): ExtractionResult {
  const callerPhone = conversation.callerPhone ?? null;
  if (!hasCallerTurn(conversation)) {
    const nothing = { full_name: null, zip_code: null, phone: null, vehicle_year: null, vehicle_make: null, vehicle_model: null };
    return normalizeLead(nothing, { callerPhone, now });
  }
  const state: DraftLead = {
    name: [],
    locked: new Set(),
    nameSaid: '',
    zip: null,
    phone: null,
    partialPhone: '',
    vehicle: { year: null, make: null, model: null },
  };
  let agent: AgentTurn | null = null;
  let awaitingConfirmation = false;
  for (const turn of conversation.turns) {
    if (turn.role === 'assistant') {
      // A read-back the caller never answered still counts as a weak source.
      if (agent !== null && awaitingConfirmation) applyReadBack(state, agent.readBack, false);
      agent = readAgentTurn(turn.text, now);
      awaitingConfirmation = agent.confirming;
      if (!agent.confirming) applyReadBack(state, agent.readBack, false);
      if (agent.ask?.kind !== 'phone' && agent.ask !== null) state.partialPhone = '';
      continue;
    }
    const ask = agent?.ask ?? null;
    if (agent !== null && awaitingConfirmation) {
      awaitingConfirmation = false;
      if (isAffirmation(turn.text)) {
        applyReadBack(state, agent.readBack, true);
        applyInPassing(state, turn.text, ask, now);
        continue;
      }
      // "Yes, but it's a 2017": the read-back stands except for what the caller changes next.
      if (startsWithYesBut(turn.text)) applyReadBack(state, agent.readBack, true);
    }
    if (ask !== null) applyAnswer(state, turn.text, ask, now);
    else if (state.partialPhone !== '') applyPhone(state, turn.text);
    applyInPassing(state, turn.text, ask, now);
  }
  if (agent !== null && awaitingConfirmation) applyReadBack(state, agent.readBack, false);
  return normalizeLead(
    {
      full_name: state.name.length > 0 ? state.name.join(' ') : null,
      zip_code: state.zip,
      phone: state.phone,
      vehicle_year: state.vehicle.year,
      vehicle_make: state.vehicle.make,
      vehicle_model: state.vehicle.model,
    },
    { callerPhone, now },
  );
}
