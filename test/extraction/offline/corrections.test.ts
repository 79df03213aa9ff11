import { describe, expect, it } from 'vitest';
import type { Lead, Turn } from '../../../src/leads/lead.js';
import { extractOffline } from '../../../src/extraction/offline/extractOffline.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const a = (text: string): Turn => ({ role: 'assistant', text });
const u = (text: string): Turn => ({ role: 'user', text });
const lead = (...turns: Turn[]): Lead => extractOffline({ callerPhone: '+14045550123', turns }, NOW).lead;
const vehicle = (l: Lead) => ({ year: l.vehicle_year, make: l.vehicle_make, model: l.vehicle_model });

/** Name, ZIP and phone given cleanly, so each case is about what follows. */
const opening: Turn[] = [
  a('Thanks for calling Power Sport Buyers! May I have your full name, please?'),
  u('Dana Price.'),
  a("Thanks, Dana Price. What's your ZIP code?"),
  u('30093.'),
  a("What's the best phone number to reach you?"),
  u('404-555-0111.'),
  a("What's the year, make and model of the vehicle?"),
];
const bye = a('Thank you! Someone from our team will reach out shortly. Goodbye!');

describe('a make is a known make or the agent\'s confirmed read-back', () => {
  it.each([
    ['A 2021 Honda Rebel 500.', 'A 2021 Honda Rebel 500. Is that right?', "hmm, no, actually it's a two thousand twenty. I always mix that up.", 'Honda', 'Rebel 500'],
    ['2018 Yamaha Grizzly 700.', 'A 2018 Yamaha Grizzly 700. Is that right?', 'No, twenty nineteen. The rest is right.', 'Yamaha', 'Grizzly 700'],
    ['Kawasaki Ninja 650, 2016.', 'A 2016 Kawasaki Ninja 650. Is that correct?', 'Oh no, 2017, sorry. Long day, honestly.', 'Kawasaki', 'Ninja 650'],
    ['a Polaris Sportsman 570, twenty fifteen', 'A 2015 Polaris Sportsman 570. Did I get that right?', "Uh, it's a 2014 actually. Wife bought it new.", 'Polaris', 'Sportsman 570'],
  ])('the words after a corrected year are no make: %s / %s / %s', (said, readBack, reply, make, model) => {
    const l = lead(...opening, u(said), a(readBack), u(reply), bye);
    expect(l.vehicle_make).toBe(make);
    expect(l.vehicle_model).toBe(model);
  });

  it('an unknown word after the year is no make while the agent has not read it back', () => {
    expect(vehicle(lead(...opening, u('A 2015 Wildfire WF150.'), bye))).toEqual({ year: 2015, make: null, model: null });
    expect(vehicle(lead(...opening, u('Twenty twenty, kinda beat up though.'), bye))).toEqual({ year: 2020, make: null, model: null });
  });

  it('an unknown make counts once the agent reads it back and the caller confirms', () => {
    const l = lead(...opening, u('A 2015 Wildfire WF150.'), a('A 2015 Wildfire WF150. Is that right?'), u('Yes.'), bye);
    expect(vehicle(l)).toEqual({ year: 2015, make: 'Wildfire', model: 'WF150' });
  });

  it('an unknown make the caller does not confirm stays out', () => {
    const l = lead(...opening, u('A 2015 Wildfire WF150.'), a('A 2015 Wildfire WF150. Is that right?'), u('No, hold on, let me check.'), bye);
    expect(l.vehicle_make).toBeNull();
  });
});

describe('a correction that names no vehicle changes only what it names', () => {
  const readBack = a('A 2016 Polaris Slingshot SL. Is that right?');
  it.each([
    ['No, twenty fifteen.', 2015],
    ["Actually it's a 2017, my bad.", 2017],
    ['Nope. Two thousand fourteen. I always get that wrong.', 2014],
  ])('a year correction keeps make and model: %s', (reply, year) => {
    const l = lead(...opening, u('2016 Polaris Slingshot SL.'), readBack, u(reply), bye);
    expect(vehicle(l)).toEqual({ year, make: 'Polaris', model: 'Slingshot SL' });
  });

  it('a year corrected in answer to a summary read-back', () => {
    const l = lead(
      ...opening,
      u('2016 Polaris Slingshot SL.'),
      a('Let me read that back: Dana Price, ZIP 30093, phone 404-555-0111, a 2016 Polaris Slingshot SL. Is that all correct?'),
      u('Almost, the year is actually twenty seventeen, my mistake.'),
      a('Updated. Anything else?'),
      u('No, that is it.'),
      bye,
    );
    expect(vehicle(l)).toEqual({ year: 2017, make: 'Polaris', model: 'Slingshot SL' });
    expect(l.zip_code).toBe('30093');
  });

  it('a year corrected while giving the name', () => {
    const l = lead(
      a("Thanks for calling! What's the year, make and model?"),
      u('2016 Polaris Slingshot SL.'),
      a('A 2016 Polaris Slingshot SL. Is that right?'),
      u('Yes.'),
      a('May I have your full name?'),
      u("Dana Price. Oh and sorry, it's actually a 2017, not a 2016."),
      bye,
    );
    expect(l.full_name).toBe('Dana Price');
    expect(vehicle(l)).toEqual({ year: 2017, make: 'Polaris', model: 'Slingshot SL' });
  });

  it('a model correction keeps the year', () => {
    const l = lead(...opening, u('A 2019 Harley Street Glide.'), a('A 2019 Harley-Davidson Street Glide. Is that right?'), u("No, it's a Road Glide."), bye);
    expect(vehicle(l)).toEqual({ year: 2019, make: 'Harley-Davidson', model: 'Road Glide' });
  });

  it('digits of a phone answer with "no" in it are not a year', () => {
    const l = lead(
      a("Thanks for calling! What's the year, make and model?"),
      u('2016 Polaris Slingshot SL.'),
      a('A 2016 Polaris Slingshot SL. Is that right?'),
      u('Yes.'),
      a("What's the best number to reach you?"),
      u('No problem, it is 404 555 2017.'),
      bye,
    );
    expect(l.vehicle_year).toBe(2016);
    expect(l.phone).toBe('+14045552017');
  });
});

describe('a name the caller spelled letter by letter beats the recognizer\'s spelling', () => {
  it('spelled along with a name the caller volunteered', () => {
    const l = lead(
      a('Thanks for calling Power Sport Buyers! How can I help?'),
      u("Hi, this is Katelyn Brooks, that's K-A-T-L-Y-N, and I want to sell my bike."),
      a("Thanks, Katelyn Brooks. What's your ZIP code?"),
      u('30093.'),
    );
    expect(l.full_name).toBe('Katlyn Brooks');
  });

  it.each([
    ['Actually, my last name is spelled S-M-Y-T-H-E.', 'Ann Smythe'],
    ["The ZIP's right but the last name is S M Y T H E.", 'Ann Smythe'],
    ['Sorry, the first name is A-N-N-E.', 'Anne Smith'],
  ])('spelled in answer to a summary read-back: %s', (reply, name) => {
    const l = lead(
      a('May I have your full name, please?'),
      u('Ann Smith.'),
      a("Thanks, Ann Smith. What's your ZIP code?"),
      u('30093.'),
      a('Let me read that back: Ann Smith, ZIP 30093. Is that right?'),
      u(reply),
      a('Thanks, Ann Smith. Goodbye!'),
    );
    expect(l.full_name).toBe(name);
    expect(l.zip_code).toBe('30093');
  });

  it('the spelling stands when the caller later says the name again', () => {
    const l = lead(
      a('May I have your full name?'),
      u('Caitlin Brooks.'),
      a('How do you spell your first name?'),
      u('K-A-T-L-Y-N.'),
      a("What's your ZIP code?"),
      u('Sorry, my name is Caitlin Brooks, and the zip is 30093.'),
    );
    expect(l.full_name).toBe('Katlyn Brooks');
    expect(l.zip_code).toBe('30093');
  });

  it("the agent's thank-you spelling does not undo the caller's letters", () => {
    const l = lead(
      a('May I have your full name?'),
      u('Mark Kovalchick, K-O-W-A-L-C-Z-Y-K.'),
      a("Thanks, Mark Kowalchik. What's your ZIP code?"),
      u('30093.'),
    );
    expect(l.full_name).toBe('Mark Kowalczyk');
  });
});

describe('a read-back the caller corrected never wins', () => {
  it('a ZIP the agent misread while asking the next question', () => {
    const l = lead(
      a("What's your ZIP code?"),
      u('Uh, thirty thousand ninety-three.'),
      a("Got it, 30039. What's the best phone number?"),
      u('No, 30093. And the phone is 404-555-0111.'),
      bye,
    );
    expect(l.zip_code).toBe('30093');
    expect(l.phone).toBe('+14045550111');
  });

  it('a summary that repeats a corrected model does not bring it back', () => {
    const l = lead(
      ...opening,
      u('A 2013 Harley Davidson Fat Bob.'),
      a('A 2013 Harley-Davidson Fat Boy. Is that correct?'),
      u('No, Fat Bob.'),
      a('Let me read that back: Dana Price, ZIP 30093, phone 404-555-0111, a 2013 Harley-Davidson Fat Boy. Is that all correct?'),
      u('Yes.'),
      bye,
    );
    expect(vehicle(l)).toEqual({ year: 2013, make: 'Harley-Davidson', model: 'Fat Bob' });
  });

  it('a corrected phone number stays corrected through a later read-back', () => {
    const l = lead(
      a("What's the best phone number to reach you?"),
      u('404-555-0111.'),
      a("That's 404-555-0111, correct?"),
      u('No, the last four are 0114.'),
      a('Got it. And your ZIP code?'),
      u('30093.'),
      a('So that is 404-555-0111 and ZIP 30093. Is that right?'),
      u('Yep.'),
      bye,
    );
    expect(l.phone).toBe('+14045550114');
    expect(l.zip_code).toBe('30093');
  });

  it('a make the caller says is wrong is no longer the make', () => {
    const l = lead(
      ...opening,
      u('A 2018 Scrambler.'),
      a("Got it, a 2018 Triumph Scrambler. What's the ZIP code where it's kept?"),
      u("No, it's not a Triumph. The ZIP is 30093."),
      bye,
    );
    expect(vehicle(l)).toEqual({ year: 2018, make: null, model: 'Scrambler' });
    expect(l.zip_code).toBe('30093');
  });

  it('a corrected year is not restored by the agent repeating it', () => {
    const l = lead(
      ...opening,
      u('A 2016 Indian Chief Vintage.'),
      a('A 2016 Indian Chief Vintage. Is that right?'),
      u("Actually, it's a twenty fifteen."),
      a('No problem, a 2016 Indian Chief Vintage. Is that correct?'),
      u('Yes.'),
      bye,
    );
    expect(vehicle(l)).toEqual({ year: 2015, make: 'Indian', model: 'Chief Vintage' });
  });
});
